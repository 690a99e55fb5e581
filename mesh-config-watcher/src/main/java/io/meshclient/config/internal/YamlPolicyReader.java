package io.meshclient.config.internal;

import com.google.protobuf.Descriptors.Descriptor;
import com.google.protobuf.Descriptors.EnumDescriptor;
import com.google.protobuf.Descriptors.EnumValueDescriptor;
import com.google.protobuf.Descriptors.FieldDescriptor;
import com.google.protobuf.Message;
import io.meshclient.config.FileProblem;
import io.meshclient.config.v1.ServicePolicy;
import java.io.StringReader;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.jspecify.annotations.Nullable;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;

/**
 * Reads the YAML policy file format straight into the protobuf schema, guided by the message
 * descriptors: there is one schema ({@code meshclient/v1/policy.proto}) and no second model. Keys
 * are the fields' JSON names ({@code loadBalancer}; the proto names such as {@code load_balancer}
 * are accepted too), {@code google.protobuf.Duration} fields take {@code 2s}-style text, enums take
 * their value names in any case.
 *
 * <p>Walking the YAML node tree, rather than converting YAML to JSON and handing that to {@code
 * JsonFormat}, keeps every node's line and column, so that each problem names where it is, and
 * collects every problem rather than stopping at the first. The positions of all fields are kept
 * too, so that problems the engine's validator finds later ({@code orders.retry.budget.ratio}) can
 * be pointed at their line.
 *
 * <p>A file holds one service policy per YAML document ({@code ---} separates documents).
 */
public final class YamlPolicyReader {

  /** The policies read from one file, the problems found, and where each field was written. */
  public record Result(List<Document> documents, List<FileProblem> problems) {}

  /**
   * One document of a file.
   *
   * @param policy the policy as read (possibly partial when there were problems)
   * @param positions the 1-based line and column of each field path, {@code retry.budget.ratio}
   *     (without the service name)
   */
  public record Document(ServicePolicy policy, Map<String, int[]> positions, int line) {

    /**
     * The position of {@code path} or of its nearest written ancestor; {@code path} may start with
     * the service name as the engine's problems do.
     */
    public int[] positionOf(String path) {
      String p = path;
      String prefix = policy.getService() + ".";
      if (p.startsWith(prefix)) {
        p = p.substring(prefix.length());
      }
      while (!p.isEmpty()) {
        int[] pos = positions.get(p);
        if (pos != null) {
          return pos;
        }
        int cut = Math.max(p.lastIndexOf('.'), p.lastIndexOf('['));
        p = cut < 0 ? "" : p.substring(0, cut);
      }
      return new int[] {line, 1};
    }
  }

  private static final int MAX_FILE_CHARS = 4 << 20;

  private final String file;
  private final List<FileProblem> problems = new ArrayList<>();
  private Map<String, int[]> positions = new HashMap<>();
  private String service = "";

  private YamlPolicyReader(String file) {
    this.file = file;
  }

  /** Reads {@code text}, the content of {@code file} (used in messages only). */
  public static Result read(String file, String text) {
    return new YamlPolicyReader(file).readAll(text);
  }

  private Result readAll(String text) {
    List<Document> docs = new ArrayList<>();
    if (text.length() > MAX_FILE_CHARS) {
      problems.add(new FileProblem(file, 0, 0, "", "file too large (expected: at most 4 MiB)"));
      return new Result(docs, problems);
    }
    LoaderOptions options = new LoaderOptions();
    options.setAllowDuplicateKeys(false);
    options.setMaxAliasesForCollections(50);
    options.setAllowRecursiveKeys(false);
    options.setCodePointLimit(MAX_FILE_CHARS);
    Yaml yaml = new Yaml(new SafeConstructor(options));
    try {
      for (Node root : yaml.composeAll(new StringReader(text))) {
        if (root == null) {
          continue;
        }
        positions = new HashMap<>();
        service = "";
        if (!(root instanceof MappingNode)) {
          problem(root, "", "a policy document must be a mapping, got " + describe(root)
              + " (expected: service: NAME, then the policy's fields)");
          continue;
        }
        MappingNode map = (MappingNode) root;
        for (NodeTuple t : map.getValue()) {
          if (t.getKeyNode() instanceof ScalarNode
              && ((ScalarNode) t.getKeyNode()).getValue().equals("service")
              && t.getValueNode() instanceof ScalarNode) {
            service = ((ScalarNode) t.getValueNode()).getValue();
          }
        }
        ServicePolicy.Builder b = ServicePolicy.newBuilder();
        readMessage(map, b, "");
        if (service.isEmpty()) {
          problem(root, "service", "is missing (expected: the logical service name, e.g. service: orders)");
        }
        docs.add(new Document(b.build(), positions, root.getStartMark().getLine() + 1));
      }
    } catch (MarkedYAMLException e) {
      Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
      String what = e.getProblem() != null ? e.getProblem() : e.getMessage();
      String context = e.getContext() != null ? e.getContext() + ": " : "";
      problems.add(new FileProblem(file, m == null ? 0 : m.getLine() + 1, m == null ? 0 : m.getColumn() + 1,
          "", "not valid YAML: " + context + what));
    } catch (YAMLException e) {
      problems.add(new FileProblem(file, 0, 0, "", "not valid YAML: " + e.getMessage()));
    }
    return new Result(docs, problems);
  }

  private void readMessage(MappingNode node, Message.Builder b, String path) {
    Descriptor type = b.getDescriptorForType();
    Set<String> seen = new HashSet<>();
    for (NodeTuple t : node.getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode)) {
        problem(t.getKeyNode(), path, "keys must be plain names, got " + describe(t.getKeyNode()));
        continue;
      }
      String key = ((ScalarNode) t.getKeyNode()).getValue();
      String fieldPath = path.isEmpty() ? key : path + "." + key;
      FieldDescriptor f = field(type, key);
      if (f == null) {
        problem(t.getKeyNode(), fieldPath, "unknown field (expected one of: " + fieldNames(type) + ")");
        continue;
      }
      String canonical = path.isEmpty() ? f.getJsonName() : path + "." + f.getJsonName();
      if (!seen.add(f.getJsonName())) {
        problem(t.getKeyNode(), canonical, "is set twice");
        continue;
      }
      Node value = t.getValueNode();
      mark(canonical, t.getKeyNode());
      if (isNull(value)) {
        continue; // "key:" with nothing: the default
      }
      if (f.isMapField()) {
        readMap(value, b, f, canonical);
      } else if (f.isRepeated()) {
        if (!(value instanceof SequenceNode)) {
          problem(value, canonical, "must be a list, got " + describe(value) + " (expected: [a, b] or '- item' lines)");
          continue;
        }
        List<Node> items = ((SequenceNode) value).getValue();
        for (int i = 0; i < items.size(); i++) {
          String itemPath = canonical + "[" + i + "]";
          mark(itemPath, items.get(i));
          Object v = readSingular(items.get(i), b, f, itemPath);
          if (v != null) {
            b.addRepeatedField(f, v);
          }
        }
      } else {
        Object v = readSingular(value, b, f, canonical);
        if (v != null) {
          b.setField(f, v);
        }
      }
    }
  }

  private void readMap(Node value, Message.Builder b, FieldDescriptor f, String path) {
    if (!(value instanceof MappingNode)) {
      problem(value, path, "must be a mapping, got " + describe(value) + " (expected: {key: value, ...})");
      return;
    }
    Descriptor entryType = f.getMessageType();
    FieldDescriptor keyField = entryType.findFieldByName("key");
    FieldDescriptor valueField = entryType.findFieldByName("value");
    Set<String> keys = new HashSet<>();
    for (NodeTuple t : ((MappingNode) value).getValue()) {
      if (!(t.getKeyNode() instanceof ScalarNode) || !(t.getValueNode() instanceof ScalarNode)
          || isNull(t.getValueNode())) {
        problem(t.getKeyNode(), path, "entries must be 'name: value' with plain text on both sides, got "
            + describe(t.getKeyNode()) + ": " + describe(t.getValueNode()));
        continue;
      }
      String k = ((ScalarNode) t.getKeyNode()).getValue();
      String v = ((ScalarNode) t.getValueNode()).getValue();
      mark(path + "." + k, t.getKeyNode());
      if (!keys.add(k)) {
        problem(t.getKeyNode(), path + "." + k, "is set twice");
        continue;
      }
      Message.Builder entry = b.newBuilderForField(f);
      entry.setField(keyField, k);
      entry.setField(valueField, v);
      b.addRepeatedField(f, entry.build());
    }
  }

  private @Nullable Object readSingular(Node value, Message.Builder parent, FieldDescriptor f, String path) {
    switch (f.getJavaType()) {
      case MESSAGE:
        if (f.getMessageType().getFullName().equals("google.protobuf.Duration")) {
          String text = scalar(value, path, "a duration such as 2s or 500ms");
          if (text == null) {
            return null;
          }
          try {
            return Durations.toProto(Durations.parse(text));
          } catch (IllegalArgumentException e) {
            problem(value, path, e.getMessage());
            return null;
          }
        }
        if (!(value instanceof MappingNode)) {
          problem(value, path, "must be a mapping, got " + describe(value)
              + " (expected: the fields " + fieldNames(f.getMessageType()) + ")");
          return null;
        }
        Message.Builder child = parent.newBuilderForField(f);
        readMessage((MappingNode) value, child, path);
        return child.build();
      case ENUM:
        {
          String text = scalar(value, path, "one of " + enumNames(f.getEnumType()));
          if (text == null) {
            return null;
          }
          EnumValueDescriptor ev =
              f.getEnumType().findValueByName(text.trim().toUpperCase(Locale.ROOT).replace('-', '_'));
          if (ev == null || ev.getNumber() == 0) {
            problem(value, path, "unknown value '" + text + "' (expected one of: " + enumNames(f.getEnumType()) + ")");
            return null;
          }
          return ev;
        }
      case STRING:
        return scalar(value, path, "text");
      case INT:
        {
          String text = scalar(value, path, "an integer");
          if (text == null) {
            return null;
          }
          try {
            return Integer.parseInt(text.trim().replace("_", ""));
          } catch (NumberFormatException e) {
            problem(value, path, "not an integer, got '" + text + "'");
            return null;
          }
        }
      case DOUBLE:
        {
          String text = scalar(value, path, "a number");
          if (text == null) {
            return null;
          }
          try {
            double d = Double.parseDouble(text.trim());
            if (Double.isNaN(d) || Double.isInfinite(d)) {
              throw new NumberFormatException();
            }
            return d;
          } catch (NumberFormatException e) {
            problem(value, path, "not a number, got '" + text + "'");
            return null;
          }
        }
      case BOOLEAN:
        {
          String text = scalar(value, path, "true or false");
          if (text == null) {
            return null;
          }
          String t = text.trim().toLowerCase(Locale.ROOT);
          if (t.equals("true") || t.equals("false")) {
            return Boolean.parseBoolean(t);
          }
          problem(value, path, "not a boolean, got '" + text + "' (expected: true or false)");
          return null;
        }
      default:
        problem(value, path, "unsupported field type " + f.getJavaType());
        return null;
    }
  }

  private @Nullable String scalar(Node value, String path, String expected) {
    if (!(value instanceof ScalarNode)) {
      problem(value, path, "must be a single value, got " + describe(value) + " (expected: " + expected + ")");
      return null;
    }
    return ((ScalarNode) value).getValue();
  }

  private static @Nullable FieldDescriptor field(Descriptor type, String key) {
    for (FieldDescriptor f : type.getFields()) {
      if (f.getJsonName().equals(key) || f.getName().equals(key)) {
        return f;
      }
    }
    return null;
  }

  private static String fieldNames(Descriptor type) {
    return type.getFields().stream().map(FieldDescriptor::getJsonName).collect(Collectors.joining(", "));
  }

  private static String enumNames(EnumDescriptor type) {
    return type.getValues().stream()
        .filter(v -> v.getNumber() != 0)
        .map(EnumValueDescriptor::getName)
        .collect(Collectors.joining(", "));
  }

  private static boolean isNull(Node n) {
    return n instanceof ScalarNode && n.getTag().equals(Tag.NULL);
  }

  private static String describe(Node n) {
    if (n instanceof MappingNode) {
      return "a mapping";
    }
    if (n instanceof SequenceNode) {
      return "a list";
    }
    return "'" + ((ScalarNode) n).getValue() + "'";
  }

  private void mark(String path, Node node) {
    positions.put(path, new int[] {node.getStartMark().getLine() + 1, node.getStartMark().getColumn() + 1});
  }

  private void problem(Node node, String path, String message) {
    String full = path.isEmpty() ? (service.isEmpty() ? "" : service) : (service.isEmpty() ? path : service + "." + path);
    problems.add(new FileProblem(file, node.getStartMark().getLine() + 1, node.getStartMark().getColumn() + 1,
        full, message));
  }
}
