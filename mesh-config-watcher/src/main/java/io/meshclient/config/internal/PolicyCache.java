package io.meshclient.config.internal;

import com.google.protobuf.InvalidProtocolBufferException;
import io.meshclient.config.v1.DiscoveryResponse;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

/**
 * The last applied update, on disk, so that a process restarted while the server is unreachable
 * runs on the policy it last had.
 *
 * <p>Format: the magic {@code MCP1}, the payload length (4 bytes), its CRC32C (4 bytes), then the
 * {@link DiscoveryResponse} as received (protobuf). A torn or foreign file fails the checks and is
 * reported, never trusted. Writes go to a temporary file in the same directory, are forced to disk,
 * then renamed over the old file, so a crash leaves either the old or the new file, never half.
 */
public final class PolicyCache {

  /** Why a cache file was not used. */
  public static final class CorruptCacheException extends Exception {
    private static final long serialVersionUID = 1L;

    CorruptCacheException(String message) {
      super(message);
    }
  }

  private static final int MAGIC = 0x4d435031; // "MCP1"
  private static final int MAX_PAYLOAD = 64 << 20;

  private final Path file;

  public PolicyCache(Path directory) {
    this.file = directory.resolve("meshclient-last-applied.pb");
  }

  public Path file() {
    return file;
  }

  /** The cached update, or null if there is none; throws if the file exists but cannot be trusted. */
  public @org.jspecify.annotations.Nullable DiscoveryResponse read() throws IOException, CorruptCacheException {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return null;
    }
    if (bytes.length < 12) {
      throw new CorruptCacheException("too short (" + bytes.length + " bytes)");
    }
    ByteBuffer b = ByteBuffer.wrap(bytes);
    int magic = b.getInt();
    if (magic != MAGIC) {
      throw new CorruptCacheException(String.format("not a MeshClient cache file (magic 0x%08x)", magic));
    }
    int length = b.getInt();
    int crc = b.getInt();
    if (length < 0 || length != bytes.length - 12) {
      throw new CorruptCacheException("truncated: header says " + length + " bytes, file has " + (bytes.length - 12));
    }
    CRC32C c = new CRC32C();
    c.update(bytes, 12, length);
    if ((int) c.getValue() != crc) {
      throw new CorruptCacheException("checksum mismatch");
    }
    try {
      return DiscoveryResponse.parseFrom(ByteBuffer.wrap(bytes, 12, length));
    } catch (InvalidProtocolBufferException e) {
      throw new CorruptCacheException("unreadable payload: " + e.getMessage());
    }
  }

  /** Replaces the cache atomically with {@code update}. */
  public void write(DiscoveryResponse update) throws IOException {
    byte[] payload = update.toByteArray();
    if (payload.length > MAX_PAYLOAD) {
      throw new IOException("update too large to cache: " + payload.length + " bytes");
    }
    CRC32C c = new CRC32C();
    c.update(payload);
    ByteBuffer out = ByteBuffer.allocate(12 + payload.length);
    out.putInt(MAGIC).putInt(payload.length).putInt((int) c.getValue()).put(payload).flip();
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), ".meshclient-", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        while (out.hasRemaining()) {
          ch.write(out);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
