#!/bin/bash
# examples/syslog.lua with util-linux's logger as the client: over UDP on
# a free port of 127.0.0.1 in its three formats (--rfc3164, --rfc5424
# with structured data, a message ID and a PID, --rfc5424=notq,notime,
# nohost, and the default), then on a Unix datagram socket in a temporary
# folder (logger -u PATH -d: the local RFC 3164 form without a host name,
# and --rfc5424). Each JSON line is checked whole; the fields that vary
# (logger's time, host name and source port) are checked for their form,
# then replaced. A raw RFC 5424 datagram with a UTF-8 BOM (RFC 5424's
# own example) and one without a priority are sent by socat. SIGUSR1 and
# SIGTERM print the socket's counts (stats(), on either socket):
# kernelDrops 0.
set -euo pipefail
. tests/example_lib.sh

if ! command -v logger >/dev/null; then
  echo "SKIP: logger is not installed (Debian: bsdutils; scripts/setup installs it)"
  exit 77
fi

host=$(hostname)
# next_json: the collector's ($srv) next JSON line, its varying fields
# replaced
srv=server
next_json() {
  local line
  while IFS= read -r line <&"${_ex_fd[$srv]}"; do
    echo "$srv: $line" >&2
    [[ $line == "{"* ]] || continue
    line=$(sed -E -e 's/"timestamp":"[A-Z][a-z]{2} [ 0-9][0-9] [0-9]{2}:[0-9]{2}:[0-9]{2}"/"timestamp":"TIME3164"/' \
                  -e 's/"timestamp":"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+[-+][0-9]{2}:[0-9]{2}"/"timestamp":"TIME5424"/' \
                  -e 's/"from":"127\.0\.0\.1:[0-9]+"/"from":"127.0.0.1:PORT"/' \
                  -e "s/\"hostname\":\"($host|${host%%.*})\"/\"hostname\":\"HOST\"/" <<< "$line")
    echo "$line"
    return 0
  done
  echo "FAIL: the server ended" >&2
  return 1
}
expect() {  # expect WHAT GOT WANT
  if [ "$2" != "$3" ]; then
    printf 'FAIL: %s\n got: %s\nwant: %s\n' "$1" "$2" "$3"
    exit 1
  fi
  echo "ok: $1"
}

port=$(free_port)
start server "$LUDP" examples/syslog.lua "$port" 127.0.0.1
wait_line server "^syslog listening 127\.0\.0\.1:$port\$"
udp=(timeout 10 logger --udp -n 127.0.0.1 -P "$port")

"${udp[@]}" --rfc3164 -t mytag --id=4242 -p local3.warning "hello 3164"
expect "rfc3164" "$(next_json)" \
  '{"format":"rfc3164","facility":"local3","severity":"warning","timestamp":"TIME3164","hostname":"HOST","appName":"mytag","procId":"4242","msgId":null,"structuredData":null,"message":"hello 3164","utf8":false,"from":"127.0.0.1:PORT"}'

"${udp[@]}" --rfc5424 -t app --id=77 -p mail.err --msgid ID47 \
  --sd-id 'exampleSDID@32473' --sd-param 'iut="3"' \
  --sd-param 'eventSource="App\"li\]cation"' "hello 5424 é"
expect "rfc5424" "$(next_json)" \
  '{"format":"rfc5424","facility":"mail","severity":"err","timestamp":"TIME5424","hostname":"HOST","appName":"app","procId":"77","msgId":"ID47","structuredData":{"exampleSDID@32473":{"eventSource":"App\"li]cation","iut":"3"},"timeQuality":{"isSynced":"0","tzKnown":"1"}},"message":"hello 5424 é","utf8":false,"from":"127.0.0.1:PORT"}'

"${udp[@]}" --rfc5424=notq,notime,nohost -t app "no time, no host"
expect "rfc5424=notq" "$(next_json)" \
  '{"format":"rfc5424","facility":"user","severity":"notice","timestamp":null,"hostname":null,"appName":"app","procId":null,"msgId":null,"structuredData":null,"message":"no time, no host","utf8":false,"from":"127.0.0.1:PORT"}'

"${udp[@]}" -t def "the default"
expect "default" "$(next_json)" \
  '{"format":"rfc5424","facility":"user","severity":"notice","timestamp":"TIME5424","hostname":"HOST","appName":"def","procId":null,"msgId":null,"structuredData":{"timeQuality":{"isSynced":"0","tzKnown":"1"}},"message":"the default","utf8":false,"from":"127.0.0.1:PORT"}'

# RFC 5424's example 3, its text after a BOM; and a datagram with no PRI
printf '<165>1 2003-10-11T22:14:15.003Z mymachine.example.com evntslog - ID47 [exampleSDID@32473 iut="3" eventSource="Application" eventID="1011"][examplePriority@32473 class="high"] \xEF\xBB\xBFAn application event log entry...' |
  timeout 10 socat -u - "UDP4-SENDTO:127.0.0.1:$port"
expect "BOM" "$(next_json)" \
  '{"format":"rfc5424","facility":"local4","severity":"notice","timestamp":"2003-10-11T22:14:15.003Z","hostname":"mymachine.example.com","appName":"evntslog","procId":null,"msgId":"ID47","structuredData":{"examplePriority@32473":{"class":"high"},"exampleSDID@32473":{"eventID":"1011","eventSource":"Application","iut":"3"}},"message":"An application event log entry...","utf8":true,"from":"127.0.0.1:PORT"}'
printf 'no priority \xff' | timeout 10 socat -u - "UDP4-SENDTO:127.0.0.1:$port"
expect "no PRI" "$(next_json)" \
  '{"format":"rfc3164","facility":"user","severity":"notice","timestamp":null,"hostname":null,"appName":null,"procId":null,"msgId":null,"structuredData":null,"message":"no priority �","utf8":false,"from":"127.0.0.1:PORT"}'

# timeout(1) passes TERM and INT on, not USR1: to the example itself
kill -USR1 "$(pgrep -P "$(pid_of server)")"
wait_line server '^syslog: received=6 kernelDrops=0$'
kill -TERM "$(pid_of server)"
wait_line server '^syslog: received=6 kernelDrops=0$'
finish server 0

# A /dev/log-style socket: logger's local form has no host name
dir=$(mktemp -d)
trap 'rm -rf "$dir"; _ex_cleanup' EXIT
srv=local
start local "$LUDP" examples/syslog.lua "$dir/log"
wait_line local "^syslog listening $dir/log\$"
timeout 10 logger -u "$dir/log" -d -t loc --id=99 -p daemon.info "local one"
expect "unix rfc3164" "$(next_json)" \
  '{"format":"rfc3164","facility":"daemon","severity":"info","timestamp":"TIME3164","hostname":null,"appName":"loc","procId":"99","msgId":null,"structuredData":null,"message":"local one","utf8":false,"from":""}'
timeout 10 logger -u "$dir/log" -d --rfc5424=notq -t loc2 --msgid M2 "local two"
expect "unix rfc5424" "$(next_json)" \
  '{"format":"rfc5424","facility":"user","severity":"notice","timestamp":"TIME5424","hostname":"HOST","appName":"loc2","procId":null,"msgId":"M2","structuredData":null,"message":"local two","utf8":false,"from":""}'
kill -INT "$(pid_of local)"
wait_line local '^syslog: received=2 kernelDrops=0$'
finish local 0
[ ! -e "$dir/log" ]                      # close() removed its file
echo "ok"
