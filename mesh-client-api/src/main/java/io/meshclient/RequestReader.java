package io.meshclient;

import org.jspecify.annotations.Nullable;

/**
 * Reads the attributes routing needs from an adapter's own request type, so nothing is copied per
 * request. Implementations are stateless singletons and must not allocate (returning strings the
 * request already holds).
 *
 * @param <R> the adapter's request type
 */
public interface RequestReader<R> {

  /** The HTTP method in upper case; gRPC calls report {@code POST}. */
  String method(R request);

  /** The path; for gRPC {@code /package.Service/Method}. */
  String path(R request);

  /** The value of the header {@code lowerCaseName}, or null. */
  @Nullable String header(R request, String lowerCaseName);

  /**
   * Whether the transport knows the request to be idempotent (a gRPC method declared idempotent
   * or safe). The engine also treats GET, HEAD, OPTIONS, PUT, DELETE and TRACE, requests with an
   * {@code idempotency-key} header, and routes marked idempotent as idempotent.
   */
  default boolean idempotent(R request) {
    return false;
  }
}
