package io.meshclient.server.status;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.meshclient.server.ca.CaStatus;
import io.meshclient.server.ca.RotationStage;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The {@code "ca"} member of the status document. {@code status.proto} has no CA message yet, so it
 * is written next to the protobuf JSON and read back through a {@link Struct}; readers that know
 * only {@code ServerStatus} ignore it.
 */
final class CaStatusJson {

  private CaStatusJson() {}

  static String write(CaStatus ca) {
    StringBuilder sb = new StringBuilder("{\n    \"trustDomain\": ").append(str(ca.trustDomain()))
        .append(",\n    \"source\": ").append(str(ca.source()))
        .append(",\n    \"stage\": ").append(str(ca.stage().name()))
        .append(",\n    \"issued\": ").append(ca.issued())
        .append(",\n    \"roots\": [");
    for (int i = 0; i < ca.roots().size(); i++) {
      CaStatus.Root r = ca.roots().get(i);
      sb.append(i == 0 ? "" : ",").append("{\n      \"role\": ").append(str(r.role()))
          .append(", \"subject\": ").append(str(r.subject()))
          .append(", \"serial\": ").append(str(r.serial()))
          .append(", \"notAfter\": ").append(str(r.notAfter().toString()))
          .append(", \"sha256\": ").append(str(r.sha256())).append("}");
    }
    return sb.append("]\n  }").toString();
  }

  /** The CA part of a whole status document, or null when it has none. */
  static @Nullable CaStatus read(String document) throws InvalidProtocolBufferException {
    Struct.Builder doc = Struct.newBuilder();
    JsonFormat.parser().merge(document, doc);
    Value ca = doc.getFieldsMap().get("ca");
    if (ca == null || !ca.hasStructValue()) {
      return null;
    }
    Struct c = ca.getStructValue();
    List<CaStatus.Root> roots = new ArrayList<>();
    for (Value v : field(c, "roots").getListValue().getValuesList()) {
      Struct r = v.getStructValue();
      roots.add(new CaStatus.Root(text(r, "role"), text(r, "subject"), text(r, "serial"),
          Instant.parse(text(r, "notAfter")), text(r, "sha256")));
    }
    return new CaStatus(text(c, "trustDomain"), text(c, "source"), RotationStage.valueOf(text(c, "stage")), roots,
        (long) field(c, "issued").getNumberValue());
  }

  private static Value field(Struct s, String name) {
    return s.getFieldsOrDefault(name, Value.getDefaultInstance());
  }

  private static String text(Struct s, String name) {
    return field(s, name).getStringValue();
  }

  private static String str(String s) {
    StringBuilder sb = new StringBuilder("\"");
    for (char ch : s.toCharArray()) {
      switch (ch) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\n' -> sb.append("\\n");
        default -> {
          if (ch < 0x20) {
            sb.append(String.format("\\u%04x", (int) ch));
          } else {
            sb.append(ch);
          }
        }
      }
    }
    return sb.append('"').toString();
  }
}
