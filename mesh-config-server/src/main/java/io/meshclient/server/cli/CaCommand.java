package io.meshclient.server.cli;

import io.meshclient.server.ca.CaException;
import io.meshclient.server.ca.CaStatus;
import io.meshclient.server.ca.CertificateAuthority;
import io.meshclient.server.ca.RotationStage;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ca show|init|prepare|activate|retire --ca-dir DIR}: the CA's state directory. A running
 * server watches the directory and applies each step (pushing the new bundle to every stream)
 * without a restart.
 */
@Command(name = "ca", mixinStandardHelpOptions = true,
    description = "The CA state directory and root rotation: prepare (new root trusted, old still signs), "
        + "activate (new root signs), retire (old root dropped). A running server picks each step up.",
    subcommands = {CaCommand.Show.class, CaCommand.Init.class, CaCommand.Prepare.class, CaCommand.Activate.class,
        CaCommand.Retire.class})
final class CaCommand implements Callable<Integer> {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getOut());
    return 2;
  }

  /** The shared part: open the directory, take the step, print the result. */
  abstract static class Step implements Callable<Integer> {
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Option(names = "--ca-dir", required = true, paramLabel = "DIR", description = "The CA state directory.")
    Path dir;

    @Option(names = "--trust-domain", defaultValue = "meshclient.local",
        description = "The trust domain named in a generated root's subject (default ${DEFAULT-VALUE}).")
    String trustDomain;

    /** Whether the directory must already hold a CA. */
    boolean mustExist() {
      return true;
    }

    abstract String step(CertificateAuthority ca) throws CaException;

    @Override
    public Integer call() {
      PrintWriter out = spec.commandLine().getOut();
      PrintWriter err = spec.commandLine().getErr();
      String name = "ca " + spec.name();
      if (mustExist() && !Files.isRegularFile(dir.resolve("ca.state"))) {
        err.println(name + ": " + dir + " holds no CA (expected: a directory made by `serve --ca-dir` or `ca init`)");
        return 1;
      }
      try {
        CertificateAuthority ca = open(CertificateAuthority.builder().trustDomain(trustDomain).stateDirectory(dir));
        String done = step(ca);
        if (!done.isEmpty()) {
          out.println(done);
        }
        print(out, ca.status());
        return 0;
      } catch (CaException e) {
        err.println(name + ": " + e.getMessage());
        return 1;
      } catch (IllegalArgumentException e) {
        err.println(name + ": " + e.getMessage());
        return 2;
      }
    }

    CertificateAuthority open(CertificateAuthority.Builder b) throws CaException {
      return b.build();
    }
  }

  static void print(PrintWriter out, CaStatus s) {
    out.println("stage " + s.stage() + ", trust domain " + s.trustDomain() + ", " + s.source());
    for (CaStatus.Root r : s.roots()) {
      out.println("  " + r.role() + "  " + r.subject() + "  serial " + r.serial() + "  notAfter " + r.notAfter()
          + "  sha256 " + r.sha256());
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Print the rotation stage and the roots.")
  static final class Show extends Step {
    @Override
    String step(CertificateAuthority ca) {
      return "";
    }
  }

  @Command(name = "init", mixinStandardHelpOptions = true,
      description = "Create the state directory with a new root (or the operator's, --ca-cert/--ca-key), so that "
          + "bundle.pem can be handed to clients before the server starts.")
  static final class Init extends Step {
    @Option(names = "--ca-cert", paramLabel = "FILE", description = "The operator's CA certificate (PEM) to import.")
    Path cert;

    @Option(names = "--ca-key", paramLabel = "FILE", description = "Its private key (PEM).")
    Path key;

    @Override
    boolean mustExist() {
      return false;
    }

    @Override
    CertificateAuthority open(CertificateAuthority.Builder b) throws CaException {
      requirePair(cert, key);
      return (cert == null ? b : b.files(cert, key)).build();
    }

    @Override
    String step(CertificateAuthority ca) {
      return "CA ready in " + dir + "; clients bootstrap trust from " + dir.resolve("bundle.pem");
    }
  }

  @Command(name = "prepare", mixinStandardHelpOptions = true,
      description = "Stage 1: add a new root (generated, or --ca-cert/--ca-key) to the trust bundle; the current "
          + "root still signs. Activate once every client has the new bundle.")
  static final class Prepare extends Step {
    @Option(names = "--ca-cert", paramLabel = "FILE", description = "The operator's new CA certificate (PEM).")
    Path cert;

    @Option(names = "--ca-key", paramLabel = "FILE", description = "Its private key (PEM).")
    Path key;

    @Override
    String step(CertificateAuthority ca) throws CaException {
      requirePair(cert, key);
      if (cert == null) {
        ca.prepareRotation();
      } else {
        ca.prepareRotation(cert, key);
      }
      return "prepared: the bundle now holds both roots; the current root still signs."
          + " Next: `ca activate` once every client has received the bundle (see `status`).";
    }
  }

  @Command(name = "activate", mixinStandardHelpOptions = true,
      description = "Stage 2: the prepared root signs from now on; the old root stays trusted.")
  static final class Activate extends Step {
    @Override
    String step(CertificateAuthority ca) throws CaException {
      ca.activateRotation();
      return "activated: new certificates are signed by the new root. Next: `ca retire` once every certificate"
          + " the old root signed has expired (the longest certificate lifetime from now).";
    }
  }

  @Command(name = "retire", mixinStandardHelpOptions = true,
      description = "Stage 3: drop the old root from the bundle and delete its files.")
  static final class Retire extends Step {
    @Override
    String step(CertificateAuthority ca) throws CaException {
      ca.retireRotation();
      return "retired: the bundle holds the new root only (stage " + RotationStage.STABLE + ").";
    }
  }

  private static void requirePair(Path cert, Path key) {
    if ((cert == null) != (key == null)) {
      throw new IllegalArgumentException(cert == null ? "--ca-key needs --ca-cert" : "--ca-cert needs --ca-key");
    }
  }
}
