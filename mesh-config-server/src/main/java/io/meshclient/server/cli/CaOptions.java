package io.meshclient.server.cli;

import io.meshclient.server.ca.CaException;
import io.meshclient.server.ca.CertificateAuthority;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** The options that say where the CA's roots are; shared by {@code serve} and {@code ca}. */
final class CaOptions {

  @Option(names = "--ca-dir", paramLabel = "DIR",
      description = "The CA state directory (0700): a root is generated there on first use (or imported from "
          + "--ca-cert/--ca-key); rotations are written there.")
  Path dir;

  @Option(names = "--ca-cert", paramLabel = "FILE", description = "The operator's CA certificate (PEM).")
  Path cert;

  @Option(names = "--ca-key", paramLabel = "FILE", description = "The operator's CA private key (PEM, unencrypted, 0600).")
  Path key;

  @Option(names = "--trust-domain", defaultValue = "meshclient.local",
      description = "The SPIFFE trust domain of issued identities (default ${DEFAULT-VALUE}).")
  String trustDomain;

  boolean configured() {
    return dir != null || cert != null || key != null;
  }

  /** Opens the CA these options name; usage errors are IllegalArgumentException with the option's name. */
  CertificateAuthority open(CertificateAuthority.Builder b) throws CaException {
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException(cert == null
          ? "--ca-key needs --ca-cert (expected: the CA certificate, PEM)"
          : "--ca-cert needs --ca-key (expected: the CA's private key, PEM)");
    }
    try {
      b.trustDomain(trustDomain);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("--trust-domain: " + e.getMessage(), e);
    }
    if (dir != null) {
      b.stateDirectory(dir);
    }
    if (cert != null) {
      b.files(cert, key);
    }
    return b.build();
  }
}
