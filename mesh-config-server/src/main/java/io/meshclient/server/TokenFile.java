package io.meshclient.server;

import io.meshclient.server.ca.internal.BootstrapTokens;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The bootstrap tokens file, reloaded when it changes. A file with problems is rejected as a whole
 * and the last good tokens stay in force (as a bad policy file does); the problems are logged once
 * and shown on the status page.
 */
final class TokenFile {

  private static final System.Logger LOG = System.getLogger(TokenFile.class.getName());

  private final Path file;
  private final String trustDomain;
  private volatile @Nullable BootstrapTokens tokens;
  private volatile List<String> problems = List.of();
  private byte @Nullable [] lastContent;

  TokenFile(Path file, String trustDomain) {
    this.file = file.toAbsolutePath();
    this.trustDomain = trustDomain;
  }

  Path file() {
    return file;
  }

  /** The tokens in force; none before the first good read. */
  BootstrapTokens current() {
    BootstrapTokens t = tokens;
    return t == null ? BootstrapTokens.NONE : t;
  }

  boolean loaded() {
    return tokens != null;
  }

  /** The problems of the file as it is now; empty when it is in force. */
  List<String> problems() {
    return problems;
  }

  /** Re-reads the file if its content changed. */
  synchronized void reload() {
    byte[] content;
    try {
      content = Files.readAllBytes(file);
    } catch (IOException e) {
      content = new byte[0];
    }
    if (lastContent != null && Arrays.equals(content, lastContent)) {
      return;
    }
    lastContent = content;
    BootstrapTokens.Parsed p = BootstrapTokens.read(file, trustDomain);
    if (!p.problems().isEmpty()) {
      problems = p.problems();
      for (String problem : p.problems()) {
        LOG.log(Level.WARNING, "tokens file rejected (" + (tokens == null ? "no tokens in force" : "the last good tokens stay in force")
            + "): " + problem);
      }
      return;
    }
    problems = List.of();
    tokens = new BootstrapTokens(p.entries());
    LOG.log(Level.INFO, "bootstrap tokens: " + p.entries().size() + " from " + file);
  }
}
