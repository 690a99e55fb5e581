/**
 * The grpc-java adapter: {@link io.meshclient.grpc.MeshGrpc} builds a {@code ManagedChannel} to a
 * logical service whose endpoints, picks, retries, deadlines and breakers are governed by the mesh,
 * so generated stubs work unchanged.
 */
@NullMarked
package io.meshclient.grpc;

import org.jspecify.annotations.NullMarked;
