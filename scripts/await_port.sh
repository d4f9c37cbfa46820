# Sourced by the shell scripts that start a server printing "PORT <n>" on stdout.
# await_port FILE: waits up to 15 s for that line in FILE, prints the port, fails otherwise.
await_port() {
  local port
  for _ in $(seq 1 300); do
    port=$(awk '/^PORT /{print $2}' "$1" 2>/dev/null)
    [ -n "$port" ] && { echo "$port"; return 0; }
    sleep 0.05
  done
  return 1
}
