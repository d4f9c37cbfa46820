# bash completion for bentogrpc
_bentogrpc() { :; }
complete -F _bentogrpc bentogrpc
