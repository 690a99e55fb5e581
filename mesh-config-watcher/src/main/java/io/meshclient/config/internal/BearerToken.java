package io.meshclient.config.internal;

import io.grpc.CallCredentials;
import io.grpc.Metadata;
import io.grpc.SecurityLevel;
import io.grpc.Status;
import java.lang.System.Logger.Level;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

/**
 * {@code authorization: Bearer <token>} on every call, the token read afresh for each call so that
 * a rotated token file is picked up. A token that cannot be read fails the call with
 * UNAUTHENTICATED and the reason. Sending it in plaintext is allowed (loopback, tests) but logged
 * once.
 */
public final class BearerToken extends CallCredentials {

  private static final System.Logger LOG = System.getLogger(BearerToken.class.getName());
  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private final Supplier<String> token;
  private final String source;
  private final AtomicBoolean warnedPlaintext = new AtomicBoolean();

  /** @param source what the token is read from, for errors ("bootstrap token file /var/run/token") */
  public BearerToken(Supplier<String> token, String source) {
    this.token = token;
    this.source = source;
  }

  /** What the token is read from, for messages. */
  public String source() {
    return source;
  }

  @Override
  public void applyRequestMetadata(RequestInfo info, Executor appExecutor, MetadataApplier applier) {
    String value;
    try {
      value = token.get();
    } catch (RuntimeException e) {
      applier.fail(Status.UNAUTHENTICATED.withDescription(source + ": " + e.getMessage()).withCause(e));
      return;
    }
    value = value == null ? "" : value.strip();
    if (value.isEmpty() || value.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
      applier.fail(Status.UNAUTHENTICATED.withDescription(source + ": "
          + (value.isEmpty() ? "empty" : "contains spaces or non-ASCII characters")
          + " (expected the token alone, printable ASCII)"));
      return;
    }
    if (info.getSecurityLevel() == SecurityLevel.NONE && warnedPlaintext.compareAndSet(false, true)) {
      LOG.log(Level.WARNING, "meshclient: sending the " + source + " to " + info.getAuthority()
          + " without TLS; use ConfigChannels.tls(trustBundlePem) outside loopback");
    }
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + value);
    applier.apply(headers);
  }
}
