/**
 * Internals of the gRPC adapter: the name resolver, the load balancer and its picker, the call
 * interceptor that drives {@link io.meshclient.MeshCall}. Not API.
 */
@NullMarked
package io.meshclient.grpc.internal;

import org.jspecify.annotations.NullMarked;
