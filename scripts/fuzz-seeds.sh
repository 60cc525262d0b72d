#!/usr/bin/env bash
# Writes a few valid wire captures into the fuzz corpus folder $1, as starting points.
set -euo pipefail
dir=$1
mkdir -p "$dir"
# preamble + hello (agent, version 2) + data frame on stream 1
printf '\211SWL\r\n\032\n' > "$dir/preamble"
printf '\0\0\0\045\001\0\0\0\0\0\002\0\002\0\0\0\005agent\0\0\0\001x\0\0\0\005linux\0\0\0\006x86_64\0\0\0\0' > "$dir/hello"
printf '\0\0\0\007\022\0\0\0\001hi' > "$dir/data"
printf '\0\0\0\011\025\0\0\0\001\0\0\020\0' > "$dir/credit"
# an exec stream opening (type "exec", request cut short) and a signal request on stream 1
printf '\0\0\0\015\041\0\0\0\001\0\0\0\004exec' > "$dir/open"
printf '\0\0\0\023\042\0\0\0\001\0\0\0\006signal\0\0\0\017' > "$dir/request"
