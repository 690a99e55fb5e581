package io.meshclient.config;

import io.meshclient.config.internal.Digests;
import java.io.IOException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * A directory of policy files as a source of truth: what the config server serves and what {@link
 * FilePolicySource} applies.
 *
 * <p>Each {@link #reload()} reads every file. A file that reads and validates replaces that file's
 * previous content; a file with problems is rejected and its last good content (if any) stays in
 * force, so one bad edit never takes a service's policy away. A deleted file takes its services
 * with it. A service defined by two files is kept from the first file by name and reported on the
 * other.
 *
 * <p>The content hash is the SHA-256 of the published policies (deterministic protobuf bytes, sorted
 * by service), so the same files always give the same hash, whatever the order of edits.
 *
 * <p>Not thread-safe: call from one thread (the server's control thread, the source's watch
 * thread).
 */
public final class PolicyDirectory {

  /**
   * One reading of the directory.
   *
   * @param hash the content hash of {@code policies}
   * @param policies the published policies by service name, sorted
   * @param rejected the problems of each rejected file, by file
   * @param changed whether {@code policies} differ from the previous reading
   */
  public record Snapshot(
      String hash,
      Map<String, io.meshclient.config.v1.ServicePolicy> policies,
      Map<String, List<FileProblem>> rejected,
      boolean changed) {

    /** Every problem, in file order. */
    public List<FileProblem> problems() {
      List<FileProblem> all = new ArrayList<>();
      rejected.values().forEach(all::addAll);
      return all;
    }
  }

  private final Path dir;
  private final Map<Path, List<io.meshclient.config.v1.ServicePolicy>> lastGood = new HashMap<>();
  private String hash = "";

  public PolicyDirectory(Path dir) {
    this.dir = dir;
  }

  public Path directory() {
    return dir;
  }

  /** Reads every file again; see the class comment for what a bad file does. */
  public Snapshot reload() {
    Map<String, List<FileProblem>> rejected = new LinkedHashMap<>();
    List<Path> files;
    try {
      files = PolicyFiles.list(dir);
    } catch (IOException e) {
      // The directory is gone or unreadable: keep serving what we had, and say why.
      rejected.put(dir.toString(), List.of(new FileProblem(dir.toString(), 0, 0, "", "cannot list directory: " + e)));
      return new Snapshot(hash, assemble(new HashMap<>()), rejected, false);
    }
    lastGood.keySet().retainAll(files);
    for (Path f : files) {
      PolicyFiles.Parsed parsed = PolicyFiles.read(f);
      if (parsed.ok()) {
        lastGood.put(f, parsed.policies());
      } else {
        rejected.put(f.toString(), parsed.problems());
      }
    }
    Map<String, List<FileProblem>> duplicates = new HashMap<>();
    Map<String, io.meshclient.config.v1.ServicePolicy> policies = assemble(duplicates);
    duplicates.forEach((file, problems) -> rejected.computeIfAbsent(file, k -> new ArrayList<>()).addAll(problems));
    String newHash = hash(policies);
    boolean changed = !newHash.equals(hash);
    hash = newHash;
    return new Snapshot(newHash, policies, Collections.unmodifiableMap(rejected), changed);
  }

  /** Every problem of every file in {@code dir}: what {@code validate DIR} reports. */
  public static List<FileProblem> validate(Path dir) {
    return new PolicyDirectory(dir).reload().problems();
  }

  private Map<String, io.meshclient.config.v1.ServicePolicy> assemble(Map<String, List<FileProblem>> duplicates) {
    Map<String, io.meshclient.config.v1.ServicePolicy> policies = new TreeMap<>();
    Map<String, Path> definedIn = new HashMap<>();
    for (Path f : new java.util.TreeSet<>(lastGood.keySet())) {
      for (io.meshclient.config.v1.ServicePolicy p : lastGood.get(f)) {
        Path first = definedIn.putIfAbsent(p.getService(), f);
        if (first != null) {
          duplicates.computeIfAbsent(f.toString(), k -> new ArrayList<>()).add(new FileProblem(
              f.toString(), 0, 0, p.getService(), "is already defined in " + first + " (ignored here)"));
        } else {
          policies.put(p.getService(), p);
        }
      }
    }
    return Collections.unmodifiableMap(policies);
  }

  /** The content hash of a set of policies. */
  public static String hash(Map<String, io.meshclient.config.v1.ServicePolicy> policies) {
    MessageDigest d = Digests.sha256();
    for (io.meshclient.config.v1.ServicePolicy p : new TreeMap<>(policies).values()) {
      byte[] bytes = Digests.deterministicBytes(p);
      d.update((byte) (bytes.length >>> 24));
      d.update((byte) (bytes.length >>> 16));
      d.update((byte) (bytes.length >>> 8));
      d.update((byte) bytes.length);
      d.update(bytes);
    }
    return Digests.hex(d.digest());
  }
}
