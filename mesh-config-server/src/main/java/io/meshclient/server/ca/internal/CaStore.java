package io.meshclient.server.ca.internal;

import io.meshclient.server.ca.CaException;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * The CA state directory: each root as {@code root-<id>.pem} (certificate) and {@code
 * root-<id>-key.pem} (PKCS#8 key, mode 0600), the manifest {@code ca.state} naming which root plays
 * which role, and {@code bundle.pem}, the trust bundle for clients to bootstrap from. The directory
 * is created 0700.
 *
 * <p>Every change writes the root files first and then replaces the manifest with one atomic rename,
 * so a reader (the running server, noticing the change) sees the old state or the new one, never a
 * half. Changes take a lock ({@code .lock}, held through {@link FileLock}) so that the CLI and a
 * running server never interleave two changes.
 */
public final class CaStore {

  public static final String MANIFEST = "ca.state";
  public static final String BUNDLE = "bundle.pem";
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");
  private static final Set<PosixFilePermission> READABLE = PosixFilePermissions.fromString("rw-r--r--");
  private static final Set<PosixFilePermission> DIR = PosixFilePermissions.fromString("rwx------");
  // FileLock is per process; this keeps two users in one JVM (the CLI run inside a test, say) apart.
  private static final ReentrantLock IN_PROCESS = new ReentrantLock();
  private static final List<String> ROLES = List.of("active", "next", "previous");

  private final Path dir;
  private final boolean posix = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  public CaStore(Path dir) {
    this.dir = dir.toAbsolutePath();
  }

  public Path directory() {
    return dir;
  }

  /** True when the directory holds a CA (a manifest). */
  public boolean exists() {
    return Files.isRegularFile(dir.resolve(MANIFEST));
  }

  /** Creates the directory (0700) if it is missing. */
  public void create() throws CaException {
    try {
      if (!Files.isDirectory(dir)) {
        if (posix) {
          Files.createDirectories(dir, PosixFilePermissions.asFileAttribute(DIR));
        } else {
          Files.createDirectories(dir);
        }
      }
    } catch (IOException e) {
      throw new CaException(dir + ": cannot create the CA state directory: " + e, e);
    }
  }

  /** Narrows the directory to 0700 (its owner only). */
  public void restrictDirectory() throws CaException {
    if (posix) {
      try {
        Files.setPosixFilePermissions(dir, DIR);
      } catch (IOException e) {
        throw new CaException(dir + ": cannot make the CA state directory owner-only (0700): " + e, e);
      }
    }
  }

  /** A task run under the store's lock. */
  public interface Change<T extends @Nullable Object> {
    T run() throws CaException;
  }

  public <T extends @Nullable Object> T locked(Change<T> change) throws CaException {
    create();
    IN_PROCESS.lock();
    try (FileChannel ch = FileChannel.open(dir.resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
      FileLock lock = ch.lock(); // released when the channel closes
      try {
        return change.run();
      } finally {
        lock.release();
      }
    } catch (IOException e) {
      throw new CaException(dir + ": cannot lock the CA state directory: " + e, e);
    } finally {
      IN_PROCESS.unlock();
    }
  }

  /** Reads the manifest and the roots it names, checking each as a CA at {@code now}. */
  public CaState load(Instant now) throws CaException {
    Path manifest = dir.resolve(MANIFEST);
    List<String> lines;
    try {
      lines = Files.readAllLines(manifest, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new CaException(manifest + ": no such file (expected: a CA state directory made by meshclient-server)", e);
    } catch (IOException e) {
      throw new CaException(manifest + ": cannot read: " + e, e);
    }
    Map<String, String> ids = new HashMap<>();
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      int eq = line.indexOf('=');
      String key = eq < 0 ? line : line.substring(0, eq).strip();
      String value = eq < 0 ? "" : line.substring(eq + 1).strip();
      if (!ROLES.contains(key) || !value.matches("[0-9a-f]{16}")) {
        throw new CaException(manifest + ":" + (i + 1) + ": not a root assignment, got '" + line
            + "' (expected: active|next|previous = <16 hex digits>)");
      }
      if (ids.put(key, value) != null) {
        throw new CaException(manifest + ":" + (i + 1) + ": '" + key + "' assigned twice");
      }
    }
    if (!ids.containsKey("active")) {
      throw new CaException(manifest + ": no 'active' root (expected: active = <id of the signing root>)");
    }
    if (ids.containsKey("next") && ids.containsKey("previous")) {
      throw new CaException(manifest + ": both 'next' and 'previous' (expected: one rotation at a time)");
    }
    try {
      return new CaState(root(ids.get("active"), now), root(ids.get("next"), now), root(ids.get("previous"), now));
    } catch (IllegalArgumentException e) {
      throw new CaException(manifest + ": " + e.getMessage(), e);
    }
  }

  private @Nullable CaRoot root(@Nullable String id, Instant now) throws CaException {
    if (id == null) {
      return null;
    }
    Path cert = certFile(id);
    Path key = keyFile(id);
    List<java.security.cert.X509Certificate> certs = Pem.readCertificates(cert);
    CaRoot root = Roots.check(certs.get(0), Pem.readPrivateKey(key), cert + " and " + key.getFileName(), now);
    if (!root.id().equals(id)) {
      throw new CaException(cert + ": holds the certificate with id " + root.id() + " (expected: " + id
          + ", the first 16 hex digits of its SHA-256 fingerprint)");
    }
    return root;
  }

  /**
   * Writes {@code state}: new root files, then the manifest (atomically), then the bundle; removes
   * the files of roots it no longer names. Call under {@link #locked}.
   */
  public void save(CaState state) throws CaException {
    try {
      for (CaRoot r : state.roots()) {
        if (!Files.exists(keyFile(r.id()))) {
          write(keyFile(r.id()), Pem.privateKey(r.key()), OWNER_ONLY);
        }
        if (!Files.exists(certFile(r.id()))) {
          write(certFile(r.id()), Pem.certificates(List.of(r.certificate())), READABLE);
        }
      }
      StringBuilder m = new StringBuilder("# MeshClient CA state. Written by meshclient-server; change it with\n"
          + "# `meshclient-server ca prepare|activate|retire --ca-dir " + dir + "`.\n");
      m.append("active = ").append(state.active().id()).append('\n');
      if (state.next() != null) {
        m.append("next = ").append(state.next().id()).append('\n');
      }
      if (state.previous() != null) {
        m.append("previous = ").append(state.previous().id()).append('\n');
      }
      write(dir.resolve(MANIFEST), m.toString(), READABLE);
      write(dir.resolve(BUNDLE), Pem.certificates(state.bundle()), READABLE);
      Set<String> keep = new java.util.HashSet<>();
      state.roots().forEach(r -> keep.add(r.id()));
      try (var files = Files.list(dir)) {
        for (Path f : (Iterable<Path>) files::iterator) {
          String name = f.getFileName().toString();
          if (name.startsWith("root-") && name.length() >= 21 && !keep.contains(name.substring(5, 21))) {
            Files.deleteIfExists(f); // a retired root's key is never needed again
          }
        }
      }
    } catch (IOException e) {
      throw new CaException(dir + ": cannot write the CA state: " + e, e);
    }
  }

  private Path certFile(String id) {
    return dir.resolve("root-" + id + ".pem");
  }

  private Path keyFile(String id) {
    return dir.resolve("root-" + id + "-key.pem");
  }

  /** Writes through a temporary file created with its final permissions, then renames it into place. */
  private void write(Path target, String text, Set<PosixFilePermission> perms) throws IOException {
    FileAttribute<?>[] attrs = posix ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(perms)} : new FileAttribute<?>[0];
    Path tmp = Files.createTempFile(dir, ".tmp-", ".part", attrs);
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.US_ASCII)));
        ch.force(true);
      }
      if (posix) {
        Files.setPosixFilePermissions(tmp, perms); // umask may have narrowed the creation mode
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
