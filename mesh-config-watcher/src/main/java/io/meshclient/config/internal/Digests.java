package io.meshclient.config.internal;

import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.MessageLite;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** Content hashes of protobuf messages, stable across processes (map entries sorted by key). */
public final class Digests {

  private Digests() {}

  /** The deterministic serialization of {@code m}: equal messages give equal bytes. */
  public static byte[] deterministicBytes(MessageLite m) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream(m.getSerializedSize());
      CodedOutputStream out = CodedOutputStream.newInstance(bytes);
      out.useDeterministicSerialization();
      m.writeTo(out);
      out.flush();
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError("SHA-256 is required of every JDK", e);
    }
  }

  /** The first 12 hex digits of a SHA-256 over {@code m}'s deterministic bytes. */
  public static String shortHash(MessageLite m) {
    return hex(sha256().digest(deterministicBytes(m)));
  }

  /** 12 hex digits (48 bits) of a digest: short enough to read, ample to tell versions apart. */
  public static String hex(byte[] digest) {
    return HexFormat.of().formatHex(digest, 0, 6);
  }
}
