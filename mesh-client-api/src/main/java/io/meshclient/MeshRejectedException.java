package io.meshclient;

import org.jspecify.annotations.Nullable;

/**
 * The mesh refused a call before sending it: a breaker is open, a concurrency limit is full, or
 * there is nowhere to send it. Thrown often under overload, so it carries no stack trace.
 */
public class MeshRejectedException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String service;
  private final Rejection reason;
  private final @Nullable String endpoint;

  public MeshRejectedException(String service, Rejection reason, @Nullable String endpoint) {
    super(message(service, reason, endpoint), null, false, false);
    this.service = service;
    this.reason = reason;
    this.endpoint = endpoint;
  }

  private static String message(String service, Rejection reason, @Nullable String endpoint) {
    return "meshclient rejected a call to service '"
        + service
        + "'"
        + (endpoint == null ? "" : " (endpoint " + endpoint + ")")
        + ": "
        + reason.description();
  }

  public String service() {
    return service;
  }

  public Rejection reason() {
    return reason;
  }

  /** The endpoint concerned, if one. */
  public @Nullable String endpoint() {
    return endpoint;
  }
}
