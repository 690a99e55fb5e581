package io.meshclient.config;

import io.grpc.Status;
import org.jspecify.annotations.Nullable;

/** The first workload certificate could not be had: {@link CertificateRenewer#start} failed. */
public final class WorkloadCertificateException extends Exception {

  private static final long serialVersionUID = 1L;

  private final transient @Nullable Status status;

  WorkloadCertificateException(String message, @Nullable Status status, @Nullable Throwable cause) {
    super(message, cause);
    this.status = status;
  }

  /** The config server's answer to the last attempt, or null when it answered with a certificate that was refused, or not at all. */
  public @Nullable Status status() {
    return status;
  }
}
