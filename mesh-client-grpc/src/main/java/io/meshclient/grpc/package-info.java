/**
 * The grpc-java adapter: {@link io.meshclient.grpc.MeshGrpc} builds a {@code ManagedChannel} to a
 * logical service whose endpoints, picks, retries, deadlines and breakers are governed by the mesh,
 * so generated stubs work unchanged, with mutual TLS as the service's live policy says; {@link
 * io.meshclient.grpc.MeshGrpcServer} gives servers mesh TLS credentials and the caller's SPIFFE ID.
 */
@NullMarked
package io.meshclient.grpc;

import org.jspecify.annotations.NullMarked;
