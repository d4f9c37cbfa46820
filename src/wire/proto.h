/* The generated protobuf-c messages (build tree) under short names. */
#ifndef BGI_WIRE_PROTO_H
#define BGI_WIRE_PROTO_H

#include "bentoml/grpc/v1/service.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"

typedef Bentoml__Grpc__V1__Request bgi_pb_request;
typedef Bentoml__Grpc__V1__Response bgi_pb_response;
typedef Bentoml__Grpc__V1__NDArray bgi_pb_ndarray;
typedef Bentoml__Grpc__V1__ServiceMetadataResponse bgi_pb_metadata;
typedef Bentoml__Grpc__V1__ServiceMetadataResponse__InferenceAPI bgi_pb_api;
typedef Bentoml__Grpc__V1__ServiceMetadataResponse__DescriptorMetadata bgi_pb_descriptor;

#endif
