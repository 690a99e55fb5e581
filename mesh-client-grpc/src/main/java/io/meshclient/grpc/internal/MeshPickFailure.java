package io.meshclient.grpc.internal;

import org.jspecify.annotations.Nullable;

/**
 * The cause of a pick that found no READY connection to the chosen endpoint: nothing was sent, so
 * the interceptor reports a connect failure, which is always safe to retry elsewhere. Created when
 * a subchannel's state changes, never per pick; carries no stack trace.
 */
public final class MeshPickFailure extends Exception {

  private static final long serialVersionUID = 1L;

  MeshPickFailure(String message, @Nullable Throwable cause) {
    super(message, cause, false, false);
  }
}
