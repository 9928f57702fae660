package hive.locks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class LockPathOverlapTest {

    @ParameterizedTest(name = "{0} vs {1}: {2} ({3})")
    @CsvSource(delimiter = '|', textBlock = """
        a/b          | a/b          | true  | the same path
        a/b          | a/b/c        | true  | a plain path covers what is below it
        a/b          | a/bc         | false | prefixes count in whole segments
        a            | b            | false | different files
        src/         | src/x.ts     | true  | a directory covers the files below it
        src/         | src          | true  | a directory covers itself, as the plain path does
        src/         | src/a/       | true  | a folder inside a folder
        src/         | srcx/a       | false | prefixes count in whole segments
        src/**/*.ts  | src/x/y.ts   | true  | matched by the glob
        src/**/*.ts  | src/a.ts     | true  | '**' matches zero segments too
        src/**/*.ts  | src/x/y.js   | true  | conservative: src/x/y.js may be a folder, and src/x/y.js/z.ts matches the glob
        src/**/*.ts  | lib/y.js     | false | outside src
        src/**/*.ts  | src/         | true  | the folder holds the glob's files
        src/*.ts     | src/x/y.ts   | false | '*' does not cross '/', and src/x is no .ts
        *.md         | docs/a.md    | false | top-level '*' does not cross '/', and docs is no .md
        *.md         | a.md         | true  | matched
        *.md         | a.md/x       | true  | below a match
        *            | a/b          | true  | every top-level name and everything below it
        **           | a/b/c        | true  | '**' covers everything
        **           | [ab]x        | true  | '**' covers everything
        a/**         | a            | true  | a trailing '**' covers what its folder covers
        a/**/b       | a/b          | true  | '**' matches zero segments
        a/**/b       | a/x/y/b      | true  | '**' matches several segments
        a/**/b       | a/x/c        | true  | conservative: a/x/c/b is under both
        a/**/b       | c/b          | false | not under a
        **/b         | b            | true  | a leading '**' matches zero segments
        [a-c]x       | bx           | true  | in the range
        [a-c]x       | dx           | false | out of the range
        [!a]x        | ax           | false | negated class
        [!a]x        | bx           | true  | negated class
        [^a]x        | bx           | true  | '^' negates too
        [!a]         | [a]          | false | a class and its complement share nothing
        [!a-y]       | [x-z]        | true  | both hold z
        []]x         | ]x           | true  | ']' first belongs to the class
        [!]]x        | ]x           | false | ']' first after '!' belongs to the class
        [a-]x        | -x           | true  | '-' last belongs to the class
        [[]x         | [[]x         | true  | '[[]' is a literal '['
        a?b          | a/b          | false | '?' never matches '/'
        a?b          | axb          | true  | '?' matches one character
        a*b          | a/b          | false | '*' never matches '/'
        a/*/b        | a/b          | true  | conservative: a/b/b is under both
        a/*/b        | a/c/b        | true  | a segment '*' matches one name
        a/*/b        | a/c/c        | false | the third segment is b or nothing
        a/*/b        | a/x/b        | true  | a segment '*' matches one name
        a**b         | a/x/b        | false | '**' inside a segment is '*'
        a**b         | axyb         | true  | '**' inside a segment is '*'
        .?           | ?.           | false | only '..' matches both, and it is not a file name
        .*           | *.           | true  | '...' is a file name
        [.a]         | [.b]         | false | only '.' matches both, and it is not a file name
        x/[.a]       | x/[.b]/y     | false | not even below '.'
        """)
    void overlapsWhenSomeFileIsCoveredByBoth(String first, String second, boolean expected, String why) {
        // given
        LockPath p = LockPath.parse(first);
        LockPath q = LockPath.parse(second);

        // when / then
        assertThat(p.overlaps(q)).as("%s overlaps %s: %s", p, q, why).isEqualTo(expected);
        assertThat(q.overlaps(p)).as("%s overlaps %s: %s", q, p, why).isEqualTo(expected);
        for (String witness : new String[] {p.witness(q).orElse(null), q.witness(p).orElse(null)}) {
            assertThat(witness != null).as("a file under both %s and %s", p, q).isEqualTo(expected);
            if (witness != null) {
                assertThat(p.covers(witness) && q.covers(witness)).as("both cover %s", witness).isTrue();
            }
        }
    }

    @Test
    void theWitnessOfTheConservativeRuleIsAFileBelowThePlainPath() {
        // given a .js path and a .ts glob
        LockPath glob = LockPath.parse("src/**/*.ts");
        LockPath plain = LockPath.parse("src/x/y.js");

        // when
        String witness = glob.witness(plain).orElseThrow();

        // then the conflict is a .ts file inside a folder named y.js
        assertThat(witness).startsWith("src/x/y.js/").endsWith(".ts");
    }

    @Test
    void twoPlainPathsShareTheLongerOne() {
        assertThat(LockPath.parse("a/").witness(LockPath.parse("a/b/c"))).contains("a/b/c");
        assertThat(LockPath.parse("a/b").witness(LockPath.parse("a/"))).contains("a/b");
        assertThat(LockPath.parse("a/b").witness(LockPath.parse("a/c"))).isEmpty();
    }

    @ParameterizedTest(name = "{0} covers {1}: {2}")
    @CsvSource(delimiter = '|', textBlock = """
        src/x.ts     | src/x.ts        | true
        src/x.ts     | src/x.ts/y      | true
        src/x.ts     | src/x.tsx       | false
        src/x.ts     | src             | false
        src/         | src             | true
        src/         | src/a/b         | true
        src/         | ./src//a        | true
        src/**/*.ts  | src/a.ts        | true
        src/**/*.ts  | src/x/y/a.ts    | true
        src/**/*.ts  | src/a.ts/b.c    | true
        src/**/*.ts  | src/a.js        | false
        src/**/*.ts  | lib/a.ts        | false
        src/**/*.ts  | src             | false
        a/**         | a               | true
        a/**         | a/b/c           | true
        a/**         | ab              | false
        a/*/b        | a/b             | false
        a/*/b        | a/x/b           | true
        **           | anything/at/all | true
        *            | x/y             | true
        a*           | a*              | true
        [[]x         | [x              | true
        [[]x         | ax              | false
        ?            | é               | true
        ?            | 😀              | true
        ??           | 😀              | false
        [!a]         | 😀              | true
        [😀-😂]     | 😁              | true
        """)
    void coversFilesByTheRulesOfTheClassComment(String lock, String file, boolean expected) {
        assertThat(LockPath.parse(lock).covers(file)).as("%s covers %s", lock, file).isEqualTo(expected);
    }

    @Test
    void coversRefusesAPathOutsideTheWorkspace() {
        assertThatThrownBy(() -> LockPath.parse("**").covers("../x"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("escapes");
        assertThatThrownBy(() -> LockPath.parse("**").covers("/etc/passwd"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("absolute");
    }

    @ParameterizedTest(name = "{0}: {1}")
    @CsvSource(delimiter = '|', textBlock = """
        a[b          | without its ']'
        src/[ab/c]   | without its ']'
        []           | without its ']'
        [!]          | without its ']'
        x/[z-a].ts   | written backwards
        [.]          | covers no file path
        a/[.][.]/b   | covers no file path
        """)
    void refusesGlobsItCannotReadOrThatCoverNothing(String raw, String reason) {
        assertThatThrownBy(() -> LockPath.parse(raw))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(reason);
    }

    @Test
    void anUnclosedBracketSaysHowToMatchABracket() {
        assertThatThrownBy(() -> LockPath.parse("a[b"))
                .hasMessageContaining("write '[[]'");
    }
}
