/* A stand-in for a cryptocurrency miner, for nbwarden's agent tests.
 *
 * It speaks the stratum JSON-RPC handshake (mining.subscribe,
 * mining.authorize) to a pool given as stratum+tcp://HOST:PORT, either on
 * the command line (-o URL) or in a config file (-c FILE), then "hashes"
 * (a bounded busy loop) for -t SECONDS.  It never mines anything.  Its
 * binary carries the strings a real miner carries (xmrig, randomx, ...), so
 * a renamed copy can be recognised by content.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static const char *banner = "XMRig/6.21.0 (fake) randomx cryptonight donate-level=1 nicehash";
static const char *proto = "stratum+tcp://";

static int parse_url(const char *url, char *host, size_t hlen, int *port) {
    const char *p = strstr(url, proto);
    p = p ? p + strlen(proto) : url;
    const char *colon = strrchr(p, ':');
    if (!colon) return -1;
    size_t n = (size_t)(colon - p);
    if (n >= hlen) return -1;
    memcpy(host, p, n);
    host[n] = 0;
    *port = atoi(colon + 1);
    return 0;
}

int main(int argc, char **argv) {
    const char *url = NULL, *cfg = NULL;
    double seconds = 30;
    char buf[512];
    for (int i = 1; i < argc - 1; i++) {
        if (!strcmp(argv[i], "-o")) url = argv[++i];
        else if (!strcmp(argv[i], "-c")) cfg = argv[++i];
        else if (!strcmp(argv[i], "-t")) seconds = atof(argv[++i]);
    }
    if (cfg) {
        FILE *f = fopen(cfg, "r");
        if (f && fgets(buf, sizeof buf, f)) {
            buf[strcspn(buf, "\r\n")] = 0;
            url = strdup(buf);
        }
        if (f) fclose(f);
    }
    fprintf(stderr, "%s\n", banner);
    if (url) {
        char host[256];
        int port;
        if (parse_url(url, host, sizeof host, &port) == 0) {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
            inet_pton(AF_INET, host, &a.sin_addr);
            if (connect(s, (struct sockaddr *)&a, sizeof a) == 0) {
                const char *sub = "{\"id\":1,\"method\":\"mining.subscribe\",\"params\":[\"XMRig/6.21.0\"]}\n";
                const char *auth = "{\"id\":2,\"method\":\"mining.authorize\",\"params\":[\"wallet\",\"x\"]}\n";
                write(s, sub, strlen(sub));
                read(s, buf, sizeof buf);
                write(s, auth, strlen(auth));
                read(s, buf, sizeof buf);
                fprintf(stderr, "subscribed\n");
            }
        }
    }
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    volatile unsigned long h = 1469598103934665603UL;
    for (;;) {
        for (int i = 0; i < 100000; i++) h = (h ^ (unsigned long)i) * 1099511628211UL;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if ((t.tv_sec - t0.tv_sec) + (t.tv_nsec - t0.tv_nsec) / 1e9 > seconds) break;
        usleep(1000);
    }
    return 0;
}
