/* Starts with a harmless command line, then rewrites its argv in place
 * (as setproctitle does) to one that names a miner, and sleeps.  The agent
 * sees the exec with the harmless argv; only a later rescan finds the new one. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    (void)argc;
    size_t room = 0;
    for (char **a = argv; *a; a++) room += strlen(*a) + 1;
    usleep(300000);
    /* stored shifted by one so that the binary itself does not carry the string */
    char fake[] = "ynsjh!.p!tusbuvn,udq;00238/1/1/2;4444";
    for (char *c = fake; *c; c++) *c = (char)(*c - 1);
    memset(argv[0], 0, room);
    strncpy(argv[0], fake, room - 1);
    for (int i = 0; i < 600; i++) usleep(100000);
    return 0;
}
