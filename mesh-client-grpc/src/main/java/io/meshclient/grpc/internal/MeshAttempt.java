package io.meshclient.grpc.internal;

import io.grpc.CallOptions;
import io.grpc.Metadata;
import io.meshclient.Endpoint;
import org.jspecify.annotations.Nullable;

/**
 * What the mesh interceptor hands the load balancer: the endpoint the engine chose for the attempt
 * being started. Each attempt updates {@link #endpoint()} before it starts its stream.
 *
 * <p>Two ways to reach the picker. grpc-java picks on the caller's thread, inside {@code
 * ClientCall.start}, whenever the channel has a picker; when the chosen endpoint is READY the
 * interceptor therefore only sets {@link #CURRENT} around {@code start} and the picker finds the
 * attempt there, matched by the identity of the call's headers: no allocation. Otherwise (the
 * endpoint is connecting, a retry, tracing on) the attempt travels in the call's {@link
 * CallOptions} under {@link #KEY}, which survives a pick that grpc-java defers to another thread
 * and costs one options copy per call.
 */
public interface MeshAttempt {

  /** The key under which the interceptor stores the call's attempt holder. */
  CallOptions.Key<@Nullable MeshAttempt> KEY = CallOptions.Key.create("meshclient.attempt");

  /**
   * The attempt whose stream the current thread is starting, if it travels without {@link #KEY}.
   */
  ThreadLocal<@Nullable MeshAttempt> CURRENT = new ThreadLocal<>();

  /** Whether {@code headers} are the headers of the stream this attempt is starting. */
  boolean starts(Metadata headers);

  /** The endpoint of the attempt being started, or null before the first. */
  @Nullable Endpoint endpoint();

  /** The attempt's number, 1 for the first. */
  int attemptNumber();

  /** The name of the route the call matched. */
  String routeName();
}
