package io.meshclient.samples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The demo as an end-to-end test: a real config server, three real instances (one misbehaving),
 * HTTP and gRPC callers, a canary shift, an instance killed and restarted, an invalid policy
 * pushed, all over mutual TLS with certificates renewed every few seconds and a CA root rotation.
 * The caller must see no failure.
 */
class DemoTest {

  @Test
  void theCallerSeesNoFailureThroughCanaryShiftKillRestartInvalidPolicyAndCertificateRotations(@TempDir Path dir)
      throws Exception {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    int status = new Demo(out, Duration.ofSeconds(30), dir.resolve("policies"), false).run();
    String output = bytes.toString(StandardCharsets.UTF_8);
    System.out.println(output);

    assertThat(output)
        .contains("shifting the canary")
        .contains("killing instance a")
        .contains("bringing instance a back")
        .contains("orders.retry.budget.ratio: must be in [0, 1], got 1.5")
        .contains("failures seen by the caller: 0")
        .contains("prepared → activated → retired; trust bundle now 1 root(s)");
    // Certificates live 8 s in a 30 s run: at least 3 renewals, each seen by the instances.
    assertThat(number(output, "caller certificates issued: (\\d+)")).isGreaterThanOrEqualTo(4);
    assertThat(number(output, "distinct caller certificates seen by the instances: (\\d+)")).isGreaterThanOrEqualTo(4);
    assertThat(status).as(output).isZero();
  }

  private static int number(String output, String regex) {
    Matcher m = Pattern.compile(regex).matcher(output);
    assertThat(m.find()).as("'" + regex + "' in the output").isTrue();
    return Integer.parseInt(m.group(1));
  }
}
