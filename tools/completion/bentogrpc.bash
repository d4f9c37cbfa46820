# bash completion for bentogrpc (installed to share/bash-completion/completions/bentogrpc)
_bentogrpc() {
  local cur prev
  cur=${COMP_WORDS[COMP_CWORD]}
  prev=${COMP_WORDS[COMP_CWORD - 1]}
  local opts="--ndarray --series --dataframe --dtype --json --text --file --mime --bytes --part
    --concurrency --count --duration-s --rps --warmup-s --no-validate --raw --service
    --wait-for-ready --deadline-ms --timeout-ms --watch --interval-ms --discovery-timeout-ms --cacert
    --cert --key --authority --tls --plaintext --compress --max-recv-bytes --protocol-version
    --allow-insecure-credentials --format --log --lb --retries --health-check --version --verbose
    --help -o -H -v -h"
  case $prev in
  --format) mapfile -t COMPREPLY < <(compgen -W "text json csv" -- "$cur"); return ;;
  --log) mapfile -t COMPREPLY < <(compgen -W "debug info warn error" -- "$cur"); return ;;
  --lb) mapfile -t COMPREPLY < <(compgen -W "pick_first round_robin" -- "$cur"); return ;;
  --dtype) mapfile -t COMPREPLY < <(compgen -W "float32 float64 bool int32 int64 uint32 uint64 str" -- "$cur"); return ;;
  --compress) mapfile -t COMPREPLY < <(compgen -W "gzip deflate none" -- "$cur"); return ;;
  --protocol-version) mapfile -t COMPREPLY < <(compgen -W "v1 v1alpha1" -- "$cur"); return ;;
  --file | --bytes | --cacert | --cert | --key | -o) mapfile -t COMPREPLY < <(compgen -f -- "$cur"); return ;;
  esac
  if [ "$COMP_CWORD" -eq 1 ]; then
    mapfile -t COMPREPLY < <(compgen -W "describe health wait call bench --help --version" -- "$cur")
  else
    # shellcheck disable=SC2086
    mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
  fi
}
complete -F _bentogrpc bentogrpc
