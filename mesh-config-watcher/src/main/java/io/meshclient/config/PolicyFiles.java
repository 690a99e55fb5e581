package io.meshclient.config;

import io.meshclient.config.internal.YamlPolicyReader;
import io.meshclient.policy.PolicyProblem;
import io.meshclient.policy.PolicyValidationException;
import java.io.IOException;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/**
 * Reads policy files (the YAML format of DESIGN.md §2) into the wire schema and validates them with
 * the engine's model, so that a file that reads here is exactly a policy the engine accepts.
 */
public final class PolicyFiles {

  private PolicyFiles() {}

  /**
   * What one file holds.
   *
   * @param file the file
   * @param policies its service policies, in the wire schema; empty when there were problems
   * @param problems every problem found: YAML syntax, unknown fields, bad values, and the engine's
   *     validation problems, each pointed at its line where the field was written
   */
  public record Parsed(Path file, List<io.meshclient.config.v1.ServicePolicy> policies, List<FileProblem> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }
  }

  /** Whether {@code file} is a policy file: {@code *.yaml} or {@code *.yml}, not hidden. */
  public static boolean isPolicyFile(Path file) {
    String name = file.getFileName().toString();
    return !name.startsWith(".") && (name.endsWith(".yaml") || name.endsWith(".yml"));
  }

  /** The policy files directly in {@code dir}, sorted by name. */
  public static List<Path> list(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> isPolicyFile(p) && Files.isRegularFile(p)).sorted().toList();
    }
  }

  /** Reads and validates one file; never throws for a bad file, reports it instead. */
  public static Parsed read(Path file) {
    String name = file.toString();
    String text;
    try {
      text = StandardCharsets.UTF_8.newDecoder().decode(java.nio.ByteBuffer.wrap(Files.readAllBytes(file))).toString();
    } catch (CharacterCodingException e) {
      return new Parsed(file, List.of(), List.of(new FileProblem(name, 0, 0, "", "not UTF-8 text")));
    } catch (IOException e) {
      return new Parsed(file, List.of(), List.of(new FileProblem(name, 0, 0, "", "cannot read: " + e)));
    }
    return parse(file, text);
  }

  /** Parses and validates {@code text} as the content of {@code file}. */
  public static Parsed parse(Path file, String text) {
    String name = file.toString();
    YamlPolicyReader.Result r = YamlPolicyReader.read(name, text);
    List<FileProblem> problems = new ArrayList<>(r.problems());
    List<io.meshclient.config.v1.ServicePolicy> policies = new ArrayList<>();
    List<String> names = new ArrayList<>();
    for (YamlPolicyReader.Document doc : r.documents()) {
      String service = doc.policy().getService();
      if (!service.isEmpty() && names.contains(service)) {
        int[] pos = doc.positionOf("service");
        problems.add(new FileProblem(name, pos[0], pos[1], service, "is defined twice in this file"));
      }
      names.add(service);
      // The engine validates what did read, so one pass lists every problem. A field the reader
      // could not read is absent here; problems the engine finds on or under it would only echo
      // the reader's, and are dropped.
      try {
        PolicyConversion.toModel(doc.policy());
        policies.add(doc.policy());
      } catch (PolicyValidationException e) {
        for (PolicyProblem p : e.problems()) {
          if (r.problems().stream().anyMatch(rp -> related(rp.path(), p.path()))) {
            continue;
          }
          int[] pos = doc.positionOf(p.path());
          problems.add(new FileProblem(name, pos[0], pos[1], p.path(), p.message()));
        }
      }
    }
    problems.sort(java.util.Comparator.comparingInt(FileProblem::line).thenComparingInt(FileProblem::column));
    return problems.isEmpty() ? new Parsed(file, List.copyOf(policies), List.of()) : new Parsed(file, List.of(), problems);
  }

  private static boolean related(String a, String b) {
    return !a.isEmpty() && !b.isEmpty() && (a.equals(b) || b.startsWith(a + ".") || b.startsWith(a + "[")
        || a.startsWith(b + ".") || a.startsWith(b + "["));
  }
}
