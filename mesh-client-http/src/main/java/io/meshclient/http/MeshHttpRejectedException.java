package io.meshclient.http;

import io.meshclient.MeshRejectedException;
import io.meshclient.Rejection;
import java.io.IOException;
import org.jspecify.annotations.Nullable;

/**
 * The mesh refused to send a request: every candidate endpoint's circuit breaker is open, the
 * service's concurrency limit is full, no route or endpoint fits, or (with {@link
 * MeshHttp.UnknownHosts#REFUSE}) the host is not a service the mesh knows.
 *
 * <p>An {@link IOException}, so OkHttp hands it to {@code Callback.onFailure} for asynchronous
 * calls and Retrofit surfaces it like any transport failure. Nothing was sent when it is thrown.
 * Its cause is the engine's {@link MeshRejectedException}. It carries no stack trace: under
 * overload it is thrown often, and the message says all there is to know.
 */
public final class MeshHttpRejectedException extends IOException {

  private static final long serialVersionUID = 1L;

  private final String service;
  private final Rejection reason;
  private final @Nullable String endpoint;

  public MeshHttpRejectedException(MeshRejectedException cause) {
    super(cause.getMessage(), cause);
    this.service = cause.service();
    this.reason = cause.reason();
    this.endpoint = cause.endpoint();
  }

  /** The logical service (the request's host). */
  public String service() {
    return service;
  }

  /** Why the mesh refused. */
  public Rejection reason() {
    return reason;
  }

  /** The endpoint concerned ({@code host:port}), when the refusal concerns one; else null. */
  public @Nullable String endpoint() {
    return endpoint;
  }

  @Override
  public synchronized Throwable fillInStackTrace() {
    return this; // the message names service, endpoint and reason; a trace would only cost
  }
}
