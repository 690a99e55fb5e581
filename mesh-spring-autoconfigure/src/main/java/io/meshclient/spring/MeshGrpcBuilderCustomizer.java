package io.meshclient.spring;

import io.meshclient.grpc.MeshGrpc;

/**
 * Customizes every mesh gRPC channel made by {@link MeshGrpcChannels} (credentials, executor,
 * interceptors, transport options).
 */
@FunctionalInterface
public interface MeshGrpcBuilderCustomizer {

  void customize(MeshGrpc.Builder builder);
}
