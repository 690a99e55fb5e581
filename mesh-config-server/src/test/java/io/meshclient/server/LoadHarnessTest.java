package io.meshclient.server;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The load harness: a real config server in its own JVM ({@code meshclient-server serve}, as
 * deployed), 1,000 subscribed streams (one connection each) from this JVM, one push after a file
 * edit. Reports convergence p50/p99 and the server's heap after a full GC, with and without the
 * streams (read with {@code jcmd}, so the clients' memory is not counted).
 *
 * <p>Not in the default run: {@code mvn -pl mesh-config-server -am verify -Dmeshclient.excludedGroups=
 * -Dgroups=load -Dtest=LoadHarnessTest -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("load")
class LoadHarnessTest {

  @TempDir Path policies;

  private static final Pattern SERVING = Pattern.compile("on port (\\d+), status on http://localhost:(\\d+)/");
  private static final Pattern USED = Pattern.compile("used (\\d+)K");

  @Test
  void thousandStreamsOnePush() throws Exception {
    int clients = Integer.getInteger("meshclient.load.clients", 1000);
    Fixture.write(policies, "orders.yaml", "service: orders\ntimeout: 2s\n");
    String java = ProcessHandle.current().info().command().orElse("java");
    Process server = new ProcessBuilder(java, "-Xmx512m", "-XX:+UseG1GC", "-cp", System.getProperty("java.class.path"),
        "io.meshclient.server.cli.Main", "serve", "--policies", policies.toString(), "--port", "0", "--status-port", "0")
        .redirectError(Path.of("target", "load-server.log").toFile()).start();
    try {
      BufferedReader out = new BufferedReader(new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      Matcher m = null;
      for (String line = out.readLine(); line != null; line = out.readLine()) {
        m = SERVING.matcher(line);
        if (m.find()) {
          break;
        }
      }
      assertThat(m).isNotNull();
      int port = Integer.parseInt(m.group(1));
      long idle = heapAfterGcKb(server.pid());
      try (Convergence fleet = new Convergence().start("127.0.0.1:" + port, clients)) {
        long withStreams = heapAfterGcKb(server.pid());
        List<Convergence.Result> rounds = new ArrayList<>();
        for (int round = 0; round < 3; round++) {
          rounds.add(fleet.edit(policies, 3 + round));
        }
        long afterPushes = heapAfterGcKb(server.pid());
        System.out.println("[load] server in its own JVM (-Xmx512m, G1), debounce 100 ms included");
        for (int i = 0; i < rounds.size(); i++) {
          System.out.println("[load] round " + (i + 1) + ": " + rounds.get(i));
        }
        System.out.printf("[load] server heap after full GC: idle %d KiB, with %d streams %d KiB (%.1f KiB/stream),"
            + " after 3 pushes %d KiB%n", idle, clients, withStreams, (withStreams - idle) / (double) clients, afterPushes);
        Files.readAllLines(Path.of("target", "load-server.log")).stream()
            .filter(l -> l.contains("published policy")).forEach(l -> System.out.println("[load] server: " + l));
        assertThat(rounds).allSatisfy(r -> assertThat(r.clients()).isEqualTo(clients));
      }
    } finally {
      server.destroy();
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  /** Runs a full GC in {@code pid} and returns its used heap. */
  private static long heapAfterGcKb(long pid) throws IOException, InterruptedException {
    jcmd(pid, "GC.run");
    String info = jcmd(pid, "GC.heap_info");
    Matcher m = USED.matcher(info);
    assertThat(m.find()).as("jcmd GC.heap_info output:\n%s", info).isTrue();
    return Long.parseLong(m.group(1));
  }

  private static String jcmd(long pid, String command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder("jcmd", Long.toString(pid), command).redirectErrorStream(true).start();
    String s = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(60, TimeUnit.SECONDS);
    return s;
  }
}
