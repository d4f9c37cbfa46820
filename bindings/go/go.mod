module github.com/libbentogrpc/bentogrpc-go

go 1.19
