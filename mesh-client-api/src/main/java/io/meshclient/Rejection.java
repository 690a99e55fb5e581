package io.meshclient;

/** Why the mesh refused a call or an attempt before sending anything. */
public enum Rejection {
  /** Not rejected. */
  NONE("not rejected"),
  /** The mesh has no policy and no registered endpoints for the service. */
  UNKNOWN_SERVICE("the mesh knows no policy or endpoints for this service"),
  /** No route of the service's policy matches the request. */
  NO_ROUTE("no route of the policy matches the request"),
  /** The chosen destination has no endpoints (none registered, or the subset selects none). */
  NO_ENDPOINTS("no endpoint is available for the chosen destination"),
  /** Every candidate endpoint's circuit breaker is open. */
  BREAKER_OPEN("every candidate endpoint's circuit breaker is open"),
  /** The call's deadline passed before another attempt could start. */
  DEADLINE_EXCEEDED("the call's deadline passed before another attempt could start"),
  /** The service's concurrency limit ({@code circuitBreaker.maxConcurrentRequests}) is reached. */
  CONCURRENCY_LIMIT("the service's concurrency limit (circuitBreaker.maxConcurrentRequests) is reached");

  private final String description;

  Rejection(String description) {
    this.description = description;
  }

  /** A sentence for error messages. */
  public String description() {
    return description;
  }
}
