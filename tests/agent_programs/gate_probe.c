/* A program for nbwarden's exec gate tests.  Its first action is to write a
 * marker file (argv[1]), so a test can tell whether a single instruction ran.
 *
 * Built twice from this source: plain, it is a harmless "training" tool; with
 * -DMINER it carries the text a real cryptocurrency miner carries in its
 * binary (option help, algorithm names, pool protocol methods), the way a
 * renamed or stripped XMRig would.  It never mines anything.
 */
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#ifdef MINER
static const char help[] =
    "Usage: xmrig [OPTIONS]\n"
    "  -a, --algo=ALGO          mining algorithm https://xmrig.com/docs/algorithms\n"
    "  -o, --url=URL            URL of mining server, e.g. stratum+tcp://pool:3333\n"
    "      --donate-level=N     donate level, default 1%\n"
    "      --randomx-init=N     threads count to initialize RandomX dataset\n"
    "      --nicehash           enable nicehash.com support\n";
static const char methods[] = "mining.subscribe mining.authorize mining.submit\n";
#else
static const char help[] =
    "Usage: train_model [OPTIONS]\n"
    "      --epochs=N           number of epochs\n"
    "      --lr=RATE            learning rate\n"
    "      --data=DIR           dataset with stratified splits (data mining course)\n"
    "      --seed=N             random seed\n";
static const char methods[] = "model.fit model.evaluate model.predict\n";
#endif

int main(int argc, char **argv) {
    if (argc > 1) {
        int fd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
            (void)!write(fd, "ran\n", 4);
            close(fd);
        }
    }
    if (argc > 2 && strcmp(argv[2], "--help") == 0) {
        (void)!write(1, help, sizeof help - 1);
        (void)!write(1, methods, sizeof methods - 1);
    }
    return 0;
}
