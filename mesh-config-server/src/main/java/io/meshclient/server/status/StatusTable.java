package io.meshclient.server.status;

import io.meshclient.config.v1.FileProblem;
import io.meshclient.config.v1.NodeStatus;
import io.meshclient.config.v1.RegisteredEndpoint;
import io.meshclient.config.v1.ServerStatus;
import io.meshclient.server.ca.CaStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/** The status document for humans: a plain-text table for the CLI, and HTML for the browser. */
public final class StatusTable {

  private StatusTable() {}

  private static final String[] NODE_HEADER = {"NODE", "SERVICE", "ZONE", "PEER", "SUBSCRIPTIONS", "ACKED", "LAST NACK", "ERROR"};

  /** The node columns; IDENTITY (after PEER) only when some node presented a client certificate. */
  private static String[] nodeHeader(Map<String, String> identities) {
    if (identities.isEmpty()) {
      return NODE_HEADER;
    }
    List<String> h = new ArrayList<>(List.of(NODE_HEADER));
    h.add(4, "IDENTITY");
    return h.toArray(new String[0]);
  }

  private static List<String[]> nodeRows(ServerStatus s, Map<String, String> identities) {
    List<String[]> rows = new ArrayList<>();
    for (NodeStatus n : s.getNodesList()) {
      String acked = n.getAckedVersion().isEmpty() ? "-" : n.getAckedVersion();
      if (!n.getSentVersion().isEmpty() && !n.getSentVersion().equals(n.getAckedVersion())) {
        acked += " (sent " + n.getSentVersion() + ")";
      }
      List<String> row = new ArrayList<>(List.of(
          n.getId(), dash(n.getService()), dash(n.getZone()), n.getPeer(),
          n.getSubscriptionsCount() == 0 ? "-" : String.join(",", n.getSubscriptionsList()),
          acked, dash(n.getNackedVersion()), dash(n.getLastError().replace('\n', ' '))));
      if (!identities.isEmpty()) {
        row.add(4, identities.getOrDefault(n.getPeer(), "-"));
      }
      rows.add(row.toArray(new String[0]));
    }
    return rows;
  }

  /** The plain-text form printed by {@code status}. */
  public static String text(ServerStatus s) {
    return text(s, null);
  }

  /** The plain-text form, with the CA's part when there is one. */
  public static String text(ServerStatus s, @Nullable CaStatus ca) {
    return text(s, Map.of(), ca);
  }

  /** The plain-text form, with each node's client certificate identity (by peer) and the CA's part. */
  public static String text(ServerStatus s, Map<String, String> identities, @Nullable CaStatus ca) {
    StringBuilder sb = new StringBuilder();
    sb.append("policy version: ").append(s.getPolicyVersion()).append('\n');
    sb.append("services:       ").append(s.getServicesCount() == 0 ? "-" : String.join(", ", s.getServicesList())).append('\n');
    for (FileProblem f : s.getRejectedFilesList()) {
      sb.append("REJECTED ").append(f.getFile()).append(" (last good version still served):\n");
      for (String p : f.getProblemsList()) {
        sb.append("  ").append(p).append('\n');
      }
    }
    sb.append('\n').append(s.getNodesCount()).append(" connected node(s)\n");
    table(sb, nodeHeader(identities), nodeRows(s, identities));
    if (s.getRegistryCount() > 0) {
      sb.append('\n').append(s.getRegistryCount()).append(" registered instance(s)\n");
      List<String[]> rows = new ArrayList<>();
      for (RegisteredEndpoint e : s.getRegistryList()) {
        rows.add(new String[] {e.getService(), e.getNodeId(), e.getAddress(), dash(e.getZone()), e.getState()});
      }
      table(sb, new String[] {"SERVICE", "NODE", "ADDRESS", "ZONE", "STATE"}, rows);
    }
    if (ca != null) {
      sb.append('\n').append("CA: trust domain ").append(ca.trustDomain()).append(", ").append(ca.source())
          .append(", rotation stage ").append(ca.stage()).append(", ").append(ca.issued()).append(" issued\n");
      table(sb, CA_HEADER, caRows(ca));
    }
    return sb.toString();
  }

  private static final String[] CA_HEADER = {"ROLE", "SUBJECT", "SERIAL", "NOT AFTER", "SHA-256"};

  private static List<String[]> caRows(CaStatus ca) {
    List<String[]> rows = new ArrayList<>();
    for (CaStatus.Root r : ca.roots()) {
      rows.add(new String[] {r.role(), r.subject(), r.serial(), r.notAfter().toString(), r.sha256()});
    }
    return rows;
  }

  private static void table(StringBuilder sb, String[] header, List<String[]> rows) {
    int[] width = new int[header.length];
    for (int i = 0; i < header.length; i++) {
      width[i] = header[i].length();
      for (String[] r : rows) {
        width[i] = Math.max(width[i], Math.min(r[i].length(), 60));
        // (the last column's width is not used: nothing follows it)
      }
    }
    row(sb, header, width);
    for (String[] r : rows) {
      row(sb, r, width);
    }
  }

  private static void row(StringBuilder sb, String[] cells, int[] width) {
    StringBuilder line = new StringBuilder();
    for (int i = 0; i < cells.length; i++) {
      // Columns are capped at 60 characters, except the last (the error), which is never cut.
      boolean last = i == cells.length - 1;
      String c = !last && cells[i].length() > 60 ? cells[i].substring(0, 57) + "..." : cells[i];
      line.append(c);
      if (i < cells.length - 1) {
        line.append(" ".repeat(width[i] - c.length() + 2));
      }
    }
    sb.append(line.toString().stripTrailing()).append('\n');
  }

  private static String dash(String s) {
    return s.isEmpty() ? "-" : s;
  }

  /** The HTML page at {@code /}. */
  public static String html(ServerStatus s) {
    return html(s, null);
  }

  /** The HTML page, with the CA's part when there is one. */
  public static String html(ServerStatus s, @Nullable CaStatus ca) {
    return html(s, Map.of(), ca);
  }

  /** The HTML page, with each node's client certificate identity (by peer) and the CA's part. */
  public static String html(ServerStatus s, Map<String, String> identities, @Nullable CaStatus ca) {
    StringBuilder sb = new StringBuilder("<!doctype html><html><head><meta charset=utf-8>"
        + "<title>MeshClient config server</title><style>body{font-family:sans-serif}"
        + "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;text-align:left}"
        + ".bad{color:#b00}</style></head><body><h1>MeshClient config server</h1>");
    sb.append("<p>Policy version <code>").append(esc(s.getPolicyVersion())).append("</code>; services: ")
        .append(esc(String.join(", ", s.getServicesList()))).append(". <a href=/status>JSON</a></p>");
    for (FileProblem f : s.getRejectedFilesList()) {
      sb.append("<p class=bad>Rejected <code>").append(esc(f.getFile()))
          .append("</code> (the last good version is still served):</p><ul class=bad>");
      for (String p : f.getProblemsList()) {
        sb.append("<li><code>").append(esc(p)).append("</code>");
      }
      sb.append("</ul>");
    }
    sb.append("<h2>").append(s.getNodesCount()).append(" connected nodes</h2><table><tr>");
    for (String h : nodeHeader(identities)) {
      sb.append("<th>").append(esc(h));
    }
    for (String[] r : nodeRows(s, identities)) {
      sb.append("<tr>");
      for (int i = 0; i < r.length; i++) {
        // The last two columns: the last NACK and its error.
        sb.append(i >= r.length - 2 && !r[i].equals("-") ? "<td class=bad>" : "<td>").append(esc(r[i]));
      }
    }
    sb.append("</table><h2>").append(s.getRegistryCount()).append(" registered instances</h2><table>"
        + "<tr><th>SERVICE<th>NODE<th>ADDRESS<th>ZONE<th>STATE");
    for (RegisteredEndpoint e : s.getRegistryList()) {
      sb.append("<tr><td>").append(esc(e.getService())).append("<td>").append(esc(e.getNodeId()))
          .append("<td>").append(esc(e.getAddress())).append("<td>").append(esc(e.getZone()))
          .append("<td>").append(esc(e.getState()));
    }
    sb.append("</table>");
    if (ca != null) {
      sb.append("<h2>CA</h2><p>Trust domain <code>").append(esc(ca.trustDomain())).append("</code>, ")
          .append(esc(ca.source())).append(", rotation stage <b>").append(ca.stage()).append("</b>, ")
          .append(ca.issued()).append(" certificates issued.</p><table><tr>");
      for (String h : CA_HEADER) {
        sb.append("<th>").append(esc(h));
      }
      for (String[] r : caRows(ca)) {
        sb.append("<tr>");
        for (String c : r) {
          sb.append("<td><code>").append(esc(c)).append("</code>");
        }
      }
      sb.append("</table>");
    }
    return sb.append("</body></html>\n").toString();
  }

  private static String esc(String s) {
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
