package io.meshclient.server.cli;

import static io.meshclient.server.cli.MainTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import io.meshclient.server.ca.CaTesting;
import io.meshclient.server.ca.internal.BootstrapTokens;
import io.meshclient.testing.TestCa;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CA's command line: serve's options (errors before anything starts), ca, token. */
class CaCliTest {

  @TempDir Path tmp;

  private MainTest.Run serve(String... more) throws Exception {
    Path policies = Files.createDirectories(tmp.resolve("policies"));
    String[] args = new String[more.length + 7];
    String[] base = {"serve", "--policies", policies.toString(), "--port", "0", "--status-port", "-1"};
    System.arraycopy(base, 0, args, 0, base.length);
    System.arraycopy(more, 0, args, base.length, more.length);
    return run(args);
  }

  @Test
  void badCaOptionsAreUsageErrorsThatSayWhatWasExpected() throws Exception {
    Path dir = tmp.resolve("ca");
    MainTest.Run r = serve("--ca-cert", tmp.resolve("ca.pem").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("serve: CA: --ca-cert needs --ca-key (expected: the CA's private key, PEM)");

    r = serve("--ca-cert", tmp.resolve("nope.pem").toString(), "--ca-key", tmp.resolve("nope-key.pem").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("serve: CA: " + tmp.resolve("nope.pem") + ": no such file (expected: the CA certificate in PEM)");

    r = serve("--tokens", tmp.resolve("tokens.yaml").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("serve: --tokens needs a CA (expected: --ca-dir DIR, or --ca-cert FILE --ca-key FILE)");

    r = serve("--ca-dir", dir.toString(), "--cert-ttl", "30s");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("serve: CA: defaultTtl: PT30S is shorter than the minimum PT1M");

    r = serve("--ca-dir", dir.toString(), "--max-cert-ttl", "a day");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("serve: CA: --max-cert-ttl: ");

    r = serve("--ca-dir", dir.toString(), "--trust-domain", "Not A Domain");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("serve: CA: --trust-domain: invalid SPIFFE trust domain 'Not A Domain'");

    r = serve("--ca-dir", dir.toString(), "--tokens", tmp.resolve("missing.yaml").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("serve: --tokens " + tmp.resolve("missing.yaml") + ": no such file");
  }

  @Test
  void caInitShowAndARotationWithTheOperatorsNewRoot() throws Exception {
    Path dir = tmp.resolve("ca");
    MainTest.Run show = run("ca", "show", "--ca-dir", dir.toString());
    assertThat(show.code()).isEqualTo(1);
    assertThat(show.err()).contains("holds no CA");

    MainTest.Run init = run("ca", "init", "--ca-dir", dir.toString(), "--trust-domain", "example.org");
    assertThat(init.code()).as(init.err()).isZero();
    assertThat(init.out()).contains("bundle.pem").contains("stage STABLE, trust domain example.org").contains("  active  ");
    assertThat(Files.readString(dir.resolve("bundle.pem"))).contains("BEGIN CERTIFICATE");

    TestCa next = new TestCa("operator-next");
    Path cert = CaTesting.writePem(tmp.resolve("next.pem"), next.certificate);
    Path key = CaTesting.writePem(tmp.resolve("next-key.pem"), next.keys.getPrivate());
    MainTest.Run half = run("ca", "prepare", "--ca-dir", dir.toString(), "--ca-cert", cert.toString());
    assertThat(half.code()).isEqualTo(2);
    assertThat(half.err()).contains("--ca-cert needs --ca-key");
    MainTest.Run prepare = run("ca", "prepare", "--ca-dir", dir.toString(), "--ca-cert", cert.toString(),
        "--ca-key", key.toString());
    assertThat(prepare.code()).as(prepare.err()).isZero();
    assertThat(prepare.out()).contains("stage PREPARED").contains("  next  CN=operator-next");
    assertThat(run("ca", "activate", "--ca-dir", dir.toString()).out()).contains("  active  CN=operator-next");
    assertThat(run("ca", "show", "--ca-dir", dir.toString()).out()).contains("stage ACTIVATED").contains("  previous  ");
  }

  @Test
  void tokenPrintsARandomTokenAndTheEntryHoldingOnlyItsHash() {
    MainTest.Run r = run("token", "--namespace", "shop", "--service", "orders", "--expires", "2030-01-01T00:00:00Z");
    assertThat(r.code()).isZero();
    String token = r.out().lines().filter(l -> l.startsWith("token: ")).findFirst().orElseThrow().substring(7);
    assertThat(token).matches("[A-Za-z0-9_-]{43}");
    String entry = r.out().lines().filter(l -> l.startsWith("- ")).findFirst().orElseThrow();
    assertThat(entry).isEqualTo("- {namespace: shop, service: orders, sha256: "
        + HexFormat.of().formatHex(BootstrapTokens.sha256(token)) + ", expires: 2030-01-01T00:00:00Z}");
    assertThat(run("token", "--namespace", "shop", "--service", "orders").out()).doesNotContain(token);

    MainTest.Run bad = run("token", "--namespace", "shop", "--service", "or ders");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("token: invalid SPIFFE path");
  }
}
