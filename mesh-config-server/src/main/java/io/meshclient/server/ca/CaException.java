package io.meshclient.server.ca;

/**
 * A CA that cannot be loaded (a missing or bad PEM file, a broken state directory) or a rotation
 * step that cannot be taken now. The message names the file or the stage and says what was expected;
 * it never quotes key material.
 */
public final class CaException extends Exception {
  private static final long serialVersionUID = 1L;

  public CaException(String message) {
    super(message);
  }

  public CaException(String message, Throwable cause) {
    super(message, cause);
  }
}
