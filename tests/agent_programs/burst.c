/* burst N RATE PROGRAM [ARGS]: fork+exec PROGRAM N times at RATE per second (0: as fast as possible),
 * print each child's pid, then reap them.  An argument "%d" is replaced by a number unique to
 * each exec, so that every command line differs.  Used by the agent's benchmark and loss test. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    if (argc < 4) return 2;
    int n = atoi(argv[1]);
    double rate = atof(argv[2]);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < n; i++) {
        if (rate > 0) {
            double due = i / rate;
            for (;;) {
                clock_gettime(CLOCK_MONOTONIC, &t);
                double el = (t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9;
                if (el >= due) break;
                usleep((useconds_t)((due - el) * 1e6));
            }
        }
        pid_t p = fork();
        if (p == 0) {
            char num[32];
            snprintf(num, sizeof num, "0.0000%d", i);
            for (char **a = argv + 3; *a; a++)
                if (a[0][0] == '%' && a[0][1] == 'd' && a[0][2] == 0) *a = num;
            execv(argv[3], argv + 3);
            _exit(127);
        }
        printf("%d\n", p);
        while (waitpid(-1, NULL, WNOHANG) > 0) {}
    }
    while (wait(NULL) > 0) {}
    return 0;
}
