package io.meshclient.grpc.internal;

import io.grpc.CallOptions;
import io.meshclient.Endpoint;
import org.jspecify.annotations.Nullable;

/**
 * What the mesh interceptor hands the load balancer through {@link CallOptions}: the endpoint the
 * engine chose for the attempt being started. One object per call, put into the call's options
 * once; each attempt updates {@link #endpoint()} before it starts its stream, so retries cost no
 * new options.
 */
public interface MeshAttempt {

  /** The key under which the interceptor stores the call's attempt holder. */
  CallOptions.Key<@Nullable MeshAttempt> KEY = CallOptions.Key.create("meshclient.attempt");

  /** The endpoint of the attempt being started, or null before the first. */
  @Nullable Endpoint endpoint();

  /** The attempt's number, 1 for the first. */
  int attemptNumber();

  /** The name of the route the call matched. */
  String routeName();
}
