package io.meshclient.server.status;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import io.meshclient.config.v1.NodeStatus;
import io.meshclient.config.v1.ServerStatus;
import java.util.Map;
import java.util.TreeMap;

/**
 * The {@code "spiffeId"} member of a node row: the SPIFFE ID of the client certificate the node's
 * connection presented. {@code NodeStatus} in {@code status.proto} has no field for it, so it is
 * written into each row's JSON object and read back through a {@link Struct}; readers that know only
 * {@code ServerStatus} ignore it.
 */
final class NodeIdentityJson {

  private NodeIdentityJson() {}

  /**
   * {@code document} (the protobuf JSON of {@code s}) with each node row whose peer has an identity
   * carrying it; unchanged when none has.
   */
  static String write(ServerStatus s, Map<String, String> byPeer, JsonFormat.Printer printer)
      throws InvalidProtocolBufferException {
    String document = printer.print(s);
    if (byPeer.isEmpty() || s.getNodesCount() == 0) {
      return document;
    }
    // Print the rows one by one and put them where the (emptied) list is; an escaped string value
    // can never contain the unescaped key, so the match is the list.
    String empty = printer.print(s.toBuilder().clearNodes().build());
    String marker = "\"nodes\": []";
    int at = empty.indexOf(marker);
    StringBuilder rows = new StringBuilder("\"nodes\": [");
    for (int i = 0; i < s.getNodesCount(); i++) {
      NodeStatus n = s.getNodes(i);
      String row = printer.print(n).replace("\n", "\n  ");
      String id = byPeer.get(n.getPeer());
      if (id != null) {
        int end = row.lastIndexOf('}');
        row = row.substring(0, end).stripTrailing() + ",\n    \"spiffeId\": " + printer.print(Value.newBuilder()
            .setStringValue(id).build()) + "\n  }";
      }
      rows.append(i == 0 ? "" : ", ").append(row);
    }
    return empty.substring(0, at) + rows.append(']') + empty.substring(at + marker.length());
  }

  /** The identities in a whole status document, by peer; empty when it has none. */
  static Map<String, String> read(String document) throws InvalidProtocolBufferException {
    Struct.Builder doc = Struct.newBuilder();
    JsonFormat.parser().merge(document, doc);
    Map<String, String> out = new TreeMap<>();
    Value nodes = doc.getFieldsMap().get("nodes");
    if (nodes == null) {
      return out;
    }
    for (Value v : nodes.getListValue().getValuesList()) {
      Map<String, Value> row = v.getStructValue().getFieldsMap();
      Value id = row.get("spiffeId");
      if (id != null && row.containsKey("peer")) {
        out.put(row.get("peer").getStringValue(), id.getStringValue());
      }
    }
    return out;
  }
}
