# Sourced by run.sh and profile.sh. command_of CONTENDER prints the contender's command line,
# or nothing when it is not built; needs $bin (the build's bench/ directory) and, for
# python-grpcio, $stubs (the generated Python stubs).
command_of() {
  case $1 in
    ours-sync) echo "$bin/bench_ours_sync" ;;
    ours-async) [ -x "$bin/bench_ours_async" ] && echo "$bin/bench_ours_async" ;;
    ours-cpp-sync) [ -x "$bin/bench_ours_cpp_sync" ] && echo "$bin/bench_ours_cpp_sync" ;;
    ours-cpp-async) [ -x "$bin/bench_ours_cpp_async" ] && echo "$bin/bench_ours_cpp_async" ;;
    raw-core) echo "$bin/bench_raw threads" ;;
    raw-core-cq) echo "$bin/bench_raw cq" ;;
    cpp-grpc) echo "$bin/bench_cpp" ;;
    # Debian's grpcio and numpy load only under this interpreter
    python-grpcio) echo "/usr/bin/python3 bench/py_client.py --stubs $stubs" ;;
    # the Python package over this build's library (run.sh runs it on df10k and text4k only;
    # bench/py_binding.sh compares it with grpcio on the array cells)
    python-bentogrpc) echo "env BENTOGRPC_LIBRARY=$bin/../libbentogrpc.so /usr/bin/python3 bench/py_binding.py" ;;
  esac
}
