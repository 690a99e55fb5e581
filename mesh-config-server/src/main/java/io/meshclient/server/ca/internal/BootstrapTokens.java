package io.meshclient.server.ca.internal;

import io.meshclient.tls.SpiffeId;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;

/**
 * The bootstrap tokens file: which token grants which SPIFFE ID, until when. YAML, a list of
 * entries:
 *
 * <pre>
 * - namespace: shop
 *   service: orders
 *   sha256: 5e8848...   # hex SHA-256 of the token (preferred: the file then holds no secret)
 *   expires: 2026-12-31T00:00:00Z   # optional
 * - {namespace: shop, service: payments, token: "plain-token"}
 * </pre>
 *
 * <p>Lookup hashes the presented token and compares it with every entry's hash through {@link
 * MessageDigest#isEqual} without stopping at a match, so neither the time taken nor an early exit
 * tells which entry, or which prefix, matched.
 */
public final class BootstrapTokens {

  /** One entry: the identity it grants, the token's SHA-256, its expiry (null: none), its line. */
  public record Entry(SpiffeId id, byte[] hash, @Nullable Instant expires, int line) {
    @Override
    public String toString() {
      return "token for " + id + (expires == null ? "" : " until " + expires) + " (line " + line + ")";
    }
  }

  /** The entries read, or the problems ({@code file:line:column: message}) that make the file unusable. */
  public record Parsed(List<Entry> entries, List<String> problems) {}

  private static final Set<String> KEYS = Set.of("namespace", "service", "sha256", "token", "expires");
  public static final BootstrapTokens NONE = new BootstrapTokens(List.of());

  private final List<Entry> entries;

  public BootstrapTokens(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public int size() {
    return entries.size();
  }

  /** The entry whose token is {@code token}, or null. */
  public @Nullable Entry find(String token) {
    byte[] hash = sha256(token);
    Entry found = null;
    for (Entry e : entries) {
      boolean same = MessageDigest.isEqual(e.hash(), hash);
      if (same && found == null) {
        found = e;
      }
    }
    return found;
  }

  public static byte[] sha256(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required of every JDK", e);
    }
  }

  /** Reads {@code file}; every problem is listed, none is fatal to the caller. */
  public static Parsed read(Path file, String trustDomain) {
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      return new Parsed(List.of(), List.of(file + ": cannot read the tokens file: " + e));
    }
    return parse(file.toString(), text, trustDomain);
  }

  static Parsed parse(String file, String text, String trustDomain) {
    List<String> problems = new ArrayList<>();
    List<Entry> entries = new ArrayList<>();
    Node root;
    try {
      root = new Yaml(new LoaderOptions()).compose(new StringReader(text));
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark();
      return new Parsed(List.of(), List.of(file + ":" + (m == null ? 1 : m.getLine() + 1) + ":"
          + (m == null ? 1 : m.getColumn() + 1) + ": not YAML: " + e.getProblem()));
    } catch (YAMLException e) {
      return new Parsed(List.of(), List.of(file + ": not YAML: " + e.getMessage()));
    }
    if (root == null) {
      return new Parsed(List.of(), List.of()); // an empty file: no tokens
    }
    if (!(root instanceof SequenceNode list)) {
      return new Parsed(List.of(), List.of(at(file, root) + "expected a list of tokens"
          + " (- {namespace: shop, service: orders, sha256: <hex>})"));
    }
    Map<String, Integer> seen = new HashMap<>();
    for (Node item : list.getValue()) {
      Entry e = entry(file, item, trustDomain, problems);
      if (e != null) {
        Integer dup = seen.putIfAbsent(HexFormat.of().formatHex(e.hash()), e.line());
        if (dup != null) {
          problems.add(at(file, item) + "the same token as line " + dup + " (expected: one token per entry)");
        } else {
          entries.add(e);
        }
      }
    }
    return problems.isEmpty() ? new Parsed(entries, List.of()) : new Parsed(List.of(), problems);
  }

  private static @Nullable Entry entry(String file, Node item, String trustDomain, List<String> problems) {
    if (!(item instanceof MappingNode map)) {
      problems.add(at(file, item) + "expected a mapping {namespace, service, sha256 or token, expires?}");
      return null;
    }
    Map<String, ScalarNode> fields = new HashMap<>();
    int before = problems.size();
    for (NodeTuple t : map.getValue()) {
      String key = t.getKeyNode() instanceof ScalarNode k ? k.getValue() : "?";
      if (!KEYS.contains(key)) {
        problems.add(at(file, t.getKeyNode()) + "unknown key '" + key + "' (expected one of: namespace, service, sha256, token, expires)");
      } else if (!(t.getValueNode() instanceof ScalarNode v) || v.getValue().isEmpty()) {
        problems.add(at(file, t.getValueNode()) + key + ": expected a non-empty text");
      } else {
        fields.put(key, v);
      }
    }
    for (String required : List.of("namespace", "service")) {
      if (!fields.containsKey(required) && problems.size() == before) {
        problems.add(at(file, item) + required + ": missing (expected: the " + required + " the token grants)");
      }
    }
    ScalarNode sha = fields.get("sha256");
    ScalarNode plain = fields.get("token");
    if ((sha == null) == (plain == null) && problems.size() == before) {
      problems.add(at(file, item) + (sha == null ? "neither sha256 nor token" : "both sha256 and token")
          + " (expected: one of them; sha256, the hex SHA-256 of the token, keeps the secret out of this file)");
    }
    if (problems.size() > before) {
      return null;
    }
    SpiffeId id;
    try {
      id = SpiffeId.of(trustDomain, fields.get("namespace").getValue(), fields.get("service").getValue());
    } catch (IllegalArgumentException e) {
      problems.add(at(file, fields.get("namespace")) + e.getMessage());
      return null;
    }
    byte[] hash;
    if (sha != null) {
      String hex = sha.getValue().toLowerCase(java.util.Locale.ROOT);
      if (!hex.matches("[0-9a-f]{64}")) {
        // Not quoted: it may be a token pasted in the wrong field.
        problems.add(at(file, sha) + "sha256: not 64 hex digits (" + hex.length() + " characters)"
            + " (expected: the output of `meshclient-server token` or `printf %s TOKEN | sha256sum`)");
        return null;
      }
      hash = HexFormat.of().parseHex(hex);
    } else {
      hash = sha256(plain.getValue());
    }
    Instant expires = null;
    ScalarNode exp = fields.get("expires");
    if (exp != null) {
      try {
        expires = Instant.parse(exp.getValue());
      } catch (DateTimeParseException e) {
        problems.add(at(file, exp) + "expires: not an instant, got '" + exp.getValue()
            + "' (expected: ISO-8601 UTC, e.g. 2026-12-31T00:00:00Z)");
        return null;
      }
    }
    return new Entry(id, hash, expires, item.getStartMark().getLine() + 1);
  }

  private static String at(String file, Node n) {
    Mark m = n.getStartMark();
    return file + ":" + (m.getLine() + 1) + ":" + (m.getColumn() + 1) + ": ";
  }
}
