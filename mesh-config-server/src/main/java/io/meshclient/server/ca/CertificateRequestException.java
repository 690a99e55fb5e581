package io.meshclient.server.ca;

/** A certificate request the CA refuses; {@link #reason()} says which kind of refusal it is. */
public final class CertificateRequestException extends Exception {
  private static final long serialVersionUID = 1L;

  /** Why a request was refused (each maps to one gRPC status code, see {@code discovery.proto}). */
  public enum Reason {
    /** A malformed request, a bad signature, a weak or unsupported key: INVALID_ARGUMENT. */
    INVALID_REQUEST,
    /** The request asks for an identity the caller may not have: PERMISSION_DENIED. */
    NOT_PERMITTED,
    /** The CA cannot sign now (e.g. its certificate has expired): FAILED_PRECONDITION. */
    CA_UNAVAILABLE
  }

  private final Reason reason;

  public CertificateRequestException(Reason reason, String message) {
    super(message, null, false, false); // an expected refusal, not a bug: no stack trace
    this.reason = reason;
  }

  public Reason reason() {
    return reason;
  }
}
