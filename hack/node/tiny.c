/* A tiny static HTTP server and client for real-node pods (there is no base image to
 * pull, and Debian's static busybox wget segfaults here).
 *   tiny [serve] [PORT]        answer every request with 200 "hello from <hostname>"
 *                              (PORT defaults to $PORT, then 8080)
 *   tiny get HOST PORT [PATH]  one GET; print the response; exit 0 on a 200
 *   tiny sleep                 block until SIGTERM
 *   tiny cat FILE              print FILE (e.g. /proc/net/route: the image has no shell)
 * Built with gcc -static and pushed by hack/cluster.sh (image mlmodel/tiny). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static void on_term(int sig) { (void)sig; _exit(0); }

static int serve(int port) {
  int s = socket(AF_INET, SOCK_STREAM, 0), one = 1;
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons(port)};
  char host[256] = "?", req[4096], resp[512];
  gethostname(host, sizeof host - 1);
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(s, (struct sockaddr *)&a, sizeof a) < 0 || listen(s, 64) < 0) {
    perror("tiny: listen");
    return 1;
  }
  fprintf(stderr, "tiny: serving on :%d as %s\n", port, host);
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    struct timeval tv = {.tv_sec = 5};
    setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ssize_t n = read(c, req, sizeof req - 1); /* one read: requests here are small */
    (void)n;
    char body[300];
    int bl = snprintf(body, sizeof body, "hello from %s\n", host);
    int rl = snprintf(resp, sizeof resp,
                      "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
                      "Connection: close\r\n\r\n%s", bl, body);
    if (write(c, resp, rl) < 0) perror("tiny: write");
    close(c);
  }
}

static int get(const char *host, const char *port, const char *path) {
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai;
  int rc = getaddrinfo(host, port, &hints, &ai);
  if (rc != 0) {
    fprintf(stderr, "tiny: %s: %s\n", host, gai_strerror(rc));
    return 2;
  }
  int s = socket(ai->ai_family, SOCK_STREAM, 0);
  struct timeval tv = {.tv_sec = 5};
  setsockopt(s, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(s, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(s, ai->ai_addr, ai->ai_addrlen) < 0) {
    /* SO_SNDTIMEO ends a connect that got no answer with EINPROGRESS. */
    if (errno == EINPROGRESS || errno == EAGAIN)
      fprintf(stderr, "tiny: connect: no answer within 5s\n");
    else
      perror("tiny: connect");
    return 2;
  }
  char buf[4096];
  int l = snprintf(buf, sizeof buf, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", path, host);
  if (write(s, buf, l) != l) {
    perror("tiny: write");
    return 2;
  }
  size_t got = 0;
  ssize_t n;
  while (got < sizeof buf - 1 && (n = read(s, buf + got, sizeof buf - 1 - got)) > 0) got += n;
  buf[got] = 0;
  fputs(buf, stdout);
  return strncmp(buf, "HTTP/1.0 200", 12) == 0 || strncmp(buf, "HTTP/1.1 200", 12) == 0 ? 0 : 1;
}

int main(int argc, char **argv) {
  signal(SIGTERM, on_term);
  signal(SIGINT, on_term);
  signal(SIGPIPE, SIG_IGN);
  const char *mode = argc > 1 ? argv[1] : "serve";
  if (strcmp(mode, "get") == 0) {
    if (argc < 4) {
      fprintf(stderr, "usage: tiny get HOST PORT [PATH]\n");
      return 2;
    }
    return get(argv[2], argv[3], argc > 4 ? argv[4] : "/");
  }
  if (strcmp(mode, "cat") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "r");
    int ch;
    if (!f) {
      perror(argv[2]);
      return 1;
    }
    while ((ch = fgetc(f)) != EOF) putchar(ch);
    return 0;
  }
  if (strcmp(mode, "sleep") == 0) {
    for (;;) pause();
  }
  const char *p = argc > 2 ? argv[2] : getenv("PORT");
  if (strcmp(mode, "serve") != 0) p = mode; /* tiny PORT */
  return serve(p && *p ? atoi(p) : 8080);
}
