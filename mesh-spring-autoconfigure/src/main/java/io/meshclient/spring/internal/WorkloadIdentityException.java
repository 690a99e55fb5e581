package io.meshclient.spring.internal;

import org.jspecify.annotations.Nullable;

/**
 * This application's workload certificate could not be had at start-up, or is not the one the
 * properties ask for. Carries what the failure analysis needs without tying it to the config
 * watcher's classes, which are optional.
 */
public final class WorkloadIdentityException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  private final @Nullable String statusCode;
  private final String tokenSource;

  /**
   * @param statusCode the config server's gRPC status code name (UNAUTHENTICATED, ...), or null
   *     when it did not answer or answered with a certificate that was refused
   * @param tokenSource the property the bootstrap token came from
   */
  public WorkloadIdentityException(
      String message, @Nullable String statusCode, String tokenSource, @Nullable Throwable cause) {
    super(message, cause);
    this.statusCode = statusCode;
    this.tokenSource = tokenSource;
  }

  public @Nullable String statusCode() {
    return statusCode;
  }

  public String tokenSource() {
    return tokenSource;
  }
}
