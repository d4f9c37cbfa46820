/* The generated protobuf-c messages (build tree) under short names. */
#ifndef BG_WIRE_PROTO_H
#define BG_WIRE_PROTO_H

#include "bentoml/grpc/v1/service.pb-c.h"
#include "google/protobuf/struct.pb-c.h"
#include "grpc/health/v1/health.pb-c.h"

typedef Bentoml__Grpc__V1__Request bg_pb_request;
typedef Bentoml__Grpc__V1__Response bg_pb_response;
typedef Bentoml__Grpc__V1__NDArray bg_pb_ndarray;
typedef Bentoml__Grpc__V1__ServiceMetadataResponse bg_pb_metadata;
typedef Bentoml__Grpc__V1__ServiceMetadataResponse__InferenceAPI bg_pb_api;
typedef Bentoml__Grpc__V1__ServiceMetadataResponse__DescriptorMetadata bg_pb_descriptor;

#endif
