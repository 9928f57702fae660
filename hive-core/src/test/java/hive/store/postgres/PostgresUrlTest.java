package hive.store.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** The short and JDBC forms of a PostgreSQL URL, and what is refused. */
class PostgresUrlTest {

    @Test
    void shortFormBecomesTheDriversUrlWithUserAndPasswordApart() {
        PostgresUrl url = PostgresUrl.parse("postgresql://hive:p%40ss@db.internal:6432/hive?sslmode=require");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db.internal:6432/hive?sslmode=require");
        assertThat(url.user()).isEqualTo("hive");
        assertThat(url.password()).isEqualTo("p@ss");
        assertThat(url.display()).doesNotContain("p@ss").contains("db.internal:6432/hive").endsWith(" as hive");
    }

    @Test
    void portDefaultsTo5432AndPostgresSchemeIsTakenToo() {
        assertThat(PostgresUrl.parse("postgres://db/hive").jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/hive");
    }

    @Test
    void jdbcUrlIsTakenAsItIsButItsPasswordIsNeverShown() {
        PostgresUrl url = PostgresUrl.parse("jdbc:postgresql://db:5432/hive?user=hive&password=secret");

        assertThat(url.jdbcUrl()).isEqualTo("jdbc:postgresql://db:5432/hive?user=hive&password=secret");
        assertThat(url.display()).doesNotContain("secret");
    }

    @Test
    void urlsWithoutHostOrDatabaseAreRefusedSayingWhatIsMissing() {
        assertThatThrownBy(() -> PostgresUrl.parse("postgresql://hive:secret@db.internal:5432"))
                .hasMessageContaining("names no database").hasMessageNotContaining("secret");
        assertThatThrownBy(() -> PostgresUrl.parse("postgresql:///hive")).hasMessageContaining("names no host");
        assertThatThrownBy(() -> PostgresUrl.parse("mysql://db/hive")).hasMessageContaining("not a PostgreSQL URL");
    }
}
