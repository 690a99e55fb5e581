package io.meshclient.server.cli;

import io.meshclient.server.ca.internal.BootstrapTokens;
import io.meshclient.tls.SpiffeId;
import java.io.PrintWriter;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Base64;
import java.util.HexFormat;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code token --namespace NS --service SVC}: a new random bootstrap token and the line for the tokens file. */
@Command(name = "token", mixinStandardHelpOptions = true,
    description = "Generate a random bootstrap token (256 bits) and print it with the tokens-file entry holding "
        + "only its SHA-256. The token itself is stored nowhere: hand it to the workload.")
final class TokenCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--namespace", required = true, description = "The namespace the token grants.")
  String namespace;

  @Option(names = "--service", required = true, description = "The service the token grants.")
  String service;

  @Option(names = "--expires", paramLabel = "INSTANT", description = "Optional expiry, e.g. 2026-12-31T00:00:00Z.")
  String expires;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    try {
      SpiffeId.of("meshclient.local", namespace, service);
      if (expires != null) {
        Instant.parse(expires);
      }
    } catch (IllegalArgumentException | DateTimeParseException e) {
      err.println("token: " + e.getMessage());
      return 2;
    }
    byte[] secret = new byte[32];
    new SecureRandom().nextBytes(secret);
    String token = Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    out.println("token: " + token);
    out.println("# tokens file entry:");
    out.println("- {namespace: " + namespace + ", service: " + service + ", sha256: "
        + HexFormat.of().formatHex(BootstrapTokens.sha256(token)) + (expires == null ? "" : ", expires: " + expires) + "}");
    return 0;
  }
}
