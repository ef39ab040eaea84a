//! Diesel's view of the tables in `migrations/`; only types both backends share.
#![allow(missing_docs)]

diesel::table! {
    organizations (id) {
        id -> Text,
        code -> Text,
        name -> Text,
        time_zone -> Text,
        sstu_department_id -> Nullable<Text>,
        created_at -> Timestamp,
        active -> Bool,
        parent_id -> Nullable<Text>,
        reg_number_template -> Nullable<Text>,
        outgoing_number_template -> Nullable<Text>,
        forward_number_template -> Nullable<Text>,
        work_start -> Nullable<Text>,
        work_end -> Nullable<Text>,
    }
}

diesel::table! {
    users (id) {
        id -> Text,
        organization_id -> Text,
        login -> Text,
        full_name -> Text,
        role -> Text,
        email -> Nullable<Text>,
        active -> Bool,
        created_at -> Timestamp,
        department_id -> Nullable<Text>,
    }
}

diesel::table! {
    /// The instance's logins, each once, with its user and organization: a reference table (not
    /// distributed by organization), because a login names its user in the whole instance and a
    /// unique key of `users` without `organization_id` could not stay on a distributed table.
    logins (login) {
        login -> Text,
        organization_id -> Text,
        user_id -> Text,
    }
}

diesel::table! {
    departments (id) {
        id -> Text,
        organization_id -> Text,
        code -> Text,
        name -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    api_tokens (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        label -> Text,
        created_at -> Timestamp,
        expires_at -> Nullable<Timestamp>,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    classifier (code) {
        code -> Text,
        level -> Integer,
        parent -> Nullable<Text>,
        name -> Text,
        search_text -> Text,
    }
}

diesel::table! {
    reg_counters (organization_id, year) {
        organization_id -> Text,
        year -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    appeals (id) {
        id -> Text,
        organization_id -> Text,
        reg_number -> Text,
        registered_at -> Timestamp,
        registered_on -> Date,
        received_on -> Date,
        channel -> Text,
        form -> Text,
        kind -> Text,
        legal_regime -> Text,
        collective -> Bool,
        signatures -> Nullable<Integer>,
        anonymous -> Bool,
        from_organization -> Bool,
        summary -> Text,
        reply_channel -> Nullable<Text>,
        source_organization -> Nullable<Text>,
        source_number -> Nullable<Text>,
        source_date -> Nullable<Date>,
        external_id -> Nullable<Text>,
        reception_official -> Nullable<Text>,
        reception_official_role -> Nullable<Text>,
        reception_held_on -> Nullable<Date>,
        migration_case -> Bool,
        late_registration -> Bool,
        repeated -> Bool,
        status -> Text,
        due_date -> Date,
        due_explanation -> Text,
        control_date -> Nullable<Date>,
        extension_days -> Nullable<Integer>,
        extension_reason -> Nullable<Text>,
        extended_by -> Nullable<Text>,
        extended_on -> Nullable<Date>,
        forwarded_to -> Nullable<Text>,
        forward_reason -> Nullable<Text>,
        forwarded_at -> Nullable<Timestamp>,
        forward_late -> Bool,
        left_reason -> Nullable<Text>,
        put_on_control_at -> Nullable<Timestamp>,
        answered_at -> Nullable<Timestamp>,
        closed_at -> Nullable<Timestamp>,
        returned_count -> Integer,
        search_text -> Text,
        created_by -> Nullable<Text>,
        version -> Integer,
        updated_at -> Timestamp,
        art11_notice_due -> Nullable<Date>,
        answered_on -> Nullable<Date>,
        answer_sent_on -> Nullable<Date>,
        closed_on -> Nullable<Date>,
        documents_requested -> Bool,
        on_site_check -> Bool,
        by_commission -> Bool,
        with_applicant -> Bool,
        forward_number -> Nullable<Text>,
        forward_date -> Nullable<Date>,
        legacy_number -> Nullable<Text>,
        forwarded_to_appeal_id -> Nullable<Text>,
        source_appeal_id -> Nullable<Text>,
    }
}

diesel::table! {
    applicants (id) {
        id -> Text,
        organization_id -> Text,
        appeal_id -> Text,
        position -> Integer,
        is_organization -> Bool,
        full_name -> Text,
        postal_address -> Nullable<Text>,
        email -> Nullable<Text>,
        phone -> Nullable<Text>,
        epgu_id -> Nullable<Text>,
        name_key -> Text,
        address_key -> Nullable<Text>,
        email_key -> Nullable<Text>,
    }
}

diesel::table! {
    questions (id) {
        id -> Text,
        organization_id -> Text,
        appeal_id -> Text,
        position -> Integer,
        code -> Text,
        section -> Text,
        text -> Nullable<Text>,
        result -> Nullable<Text>,
        actions_taken -> Bool,
        result_on -> Nullable<Date>,
        executor_id -> Nullable<Text>,
    }
}

diesel::table! {
    appeal_links (appeal_id, related_appeal_id) {
        organization_id -> Text,
        appeal_id -> Text,
        related_appeal_id -> Text,
        kind -> Text,
        confirmed -> Nullable<Bool>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    assignments (id) {
        id -> Text,
        organization_id -> Text,
        appeal_id -> Text,
        user_id -> Text,
        responsible -> Bool,
        instruction -> Nullable<Text>,
        active -> Bool,
        assigned_by -> Nullable<Text>,
        assigned_at -> Timestamp,
    }
}

diesel::table! {
    answers (id) {
        id -> Text,
        organization_id -> Text,
        appeal_id -> Text,
        author_id -> Text,
        text -> Text,
        results -> Text,
        status -> Text,
        created_at -> Timestamp,
        reviewed_by -> Nullable<Text>,
        reviewed_at -> Nullable<Timestamp>,
        review_comment -> Nullable<Text>,
        outgoing_number -> Nullable<Text>,
        sent_on -> Nullable<Date>,
        sent_channel -> Nullable<Text>,
        dispatched_by -> Nullable<Text>,
        close_on_dispatch -> Bool,
    }
}

diesel::table! {
    contributions (id) {
        id -> Text,
        organization_id -> Text,
        appeal_id -> Text,
        author_id -> Text,
        text -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    forward_counters (organization_id, year) {
        organization_id -> Text,
        year -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    outgoing_counters (organization_id, year) {
        organization_id -> Text,
        year -> Integer,
        last_seq -> BigInt,
    }
}

diesel::table! {
    notifications (id) {
        id -> Text,
        organization_id -> Text,
        appeal_id -> Nullable<Text>,
        recipient -> Text,
        kind -> Text,
        dedup_key -> Text,
        subject -> Text,
        body -> Text,
        status -> Text,
        scheduled_for -> Timestamp,
        sent_at -> Nullable<Timestamp>,
        attempts -> Integer,
        last_error -> Nullable<Text>,
        created_at -> Timestamp,
        claimed_until -> Nullable<Timestamp>,
        claimed_by -> Nullable<Text>,
        message_id -> Nullable<Text>,
        skip_reason -> Nullable<Text>,
        params -> Nullable<Text>,
    }
}

diesel::table! {
    export_log (id) {
        id -> Text,
        organization_id -> Text,
        target -> Text,
        period -> Text,
        created_at -> Timestamp,
        created_by -> Nullable<Text>,
        items -> Integer,
        payload -> Text,
    }
}

diesel::table! {
    sstu_sent (organization_id, period, appeal_id) {
        organization_id -> Text,
        period -> Text,
        appeal_id -> Text,
        version -> Integer,
        hash -> Text,
        complete -> Bool,
        exported_at -> Timestamp,
    }
}

diesel::table! {
    /// The ZIP parts of a month's full ССТУ.РФ export, valid while the data has this fingerprint.
    sstu_part_plans (organization_id, period) {
        organization_id -> Text,
        period -> Text,
        fingerprint -> Text,
        parts -> Integer,
        starts -> Text,
        planned_at -> Timestamp,
    }
}

diesel::table! {
    history (id) {
        id -> BigInt,
        organization_id -> Text,
        appeal_id -> Text,
        at -> Timestamp,
        actor_id -> Nullable<Text>,
        action -> Text,
        details -> Text,
    }
}

diesel::table! {
    match_keys (organization_id, match_key, code, registered_at, appeal_id) {
        organization_id -> Text,
        match_key -> Text,
        code -> Text,
        registered_at -> Timestamp,
        appeal_id -> Text,
    }
}

diesel::table! {
    bodies (id) {
        id -> Text,
        organization_id -> Text,
        name -> Text,
        inn -> Nullable<Text>,
        ogrn -> Nullable<Text>,
        sstu_department_id -> Nullable<Text>,
        search_text -> Text,
        created_at -> Timestamp,
    }
}

diesel::table! {
    /// Every version of every answer's file, never overwritten.
    answer_file_versions (id) {
        id -> Text,
        organization_id -> Text,
        appeal_id -> Text,
        answer_id -> Text,
        version -> Integer,
        file_name -> Text,
        size -> Integer,
        sha256 -> Text,
        content -> Binary,
        uploaded_by -> Nullable<Text>,
        uploaded_at -> Timestamp,
    }
}

diesel::table! {
    receptions (id) {
        id -> Text,
        organization_id -> Text,
        official -> Text,
        official_role -> Text,
        held_on -> Date,
        starts_at -> Text,
        place -> Text,
        remote -> Bool,
        created_by -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    reception_visitors (id) {
        id -> Text,
        organization_id -> Text,
        reception_id -> Text,
        full_name -> Text,
        contact -> Nullable<Text>,
        booked_at -> Timestamp,
        appeal_id -> Nullable<Text>,
    }
}

diesel::table! {
    user_passwords (user_id) {
        user_id -> Text,
        organization_id -> Text,
        password_hash -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    web_sessions (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        token_hash -> Text,
        csrf_token -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
        ended_at -> Nullable<Timestamp>,
    }
}

diesel::joinable!(api_tokens -> users (user_id));
diesel::joinable!(web_sessions -> users (user_id));
diesel::joinable!(users -> departments (department_id));
diesel::joinable!(applicants -> appeals (appeal_id));
diesel::joinable!(questions -> appeals (appeal_id));
diesel::joinable!(assignments -> appeals (appeal_id));
diesel::joinable!(answers -> appeals (appeal_id));
diesel::joinable!(contributions -> appeals (appeal_id));
diesel::joinable!(history -> appeals (appeal_id));

diesel::allow_tables_to_appear_in_same_query!(
    organizations, users, api_tokens, classifier, reg_counters, appeals, applicants, questions,
    appeal_links, assignments, answers, notifications, export_log, history, contributions, outgoing_counters,
    match_keys,
    departments,
    user_passwords,
    web_sessions,
    logins,
);

diesel::table! {
    web_drafts (id) {
        id -> Text,
        organization_id -> Text,
        user_id -> Text,
        path -> Text,
        body -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    web_form_tokens (token_hash) {
        token_hash -> Text,
        organization_id -> Text,
        user_id -> Text,
        appeal_id -> Nullable<Text>,
        created_at -> Timestamp,
    }
}

diesel::table! {
    stats_deltas (id) {
        id -> BigInt,
        organization_id -> Text,
        slice -> Text,
        day -> Date,
        figure -> Text,
        dim -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    stats_rollup (organization_id, slice, day, figure, dim) {
        organization_id -> Text,
        slice -> Text,
        day -> Date,
        figure -> Text,
        dim -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    stats_rollup_state (organization_id) {
        organization_id -> Text,
        built_at -> Timestamp,
    }
}

diesel::table! {
    stats_rollup_month (organization_id, slice, day, figure, dim) {
        organization_id -> Text,
        slice -> Text,
        day -> Date,
        figure -> Text,
        dim -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    /// The planner's day marker: the last full pass per organization.
    plan_marks (organization_id) {
        organization_id -> Text,
        day -> Date,
        rules -> Text,
        planned_at -> Timestamp,
    }
}

diesel::table! {
    /// The day's planned work per executor, expanded by the dispatcher.
    plan_batches (organization_id, day, executor_id) {
        organization_id -> Text,
        day -> Date,
        executor_id -> Text,
        planned_at -> Timestamp,
    }
}

diesel::table! {
    /// Appeals changed since the planner's last pass.
    plan_queue (organization_id, appeal_id) {
        organization_id -> Text,
        appeal_id -> Text,
    }
}

diesel::table! {
    stats_rollup_year (organization_id, slice, day, figure, dim) {
        organization_id -> Text,
        slice -> Text,
        day -> Date,
        figure -> Text,
        dim -> Text,
        n -> BigInt,
    }
}

diesel::table! {
    /// Sign-in attempts per login and address, per address, and per login.
    login_attempts (organization_id, subject) {
        organization_id -> Text,
        subject -> Text,
        attempts -> Integer,
        last_at -> Timestamp,
        next_at -> Timestamp,
    }
}

diesel::table! {
    /// Reads of a reception visitor's card (its contact).
    visitor_reads (id) {
        id -> Text,
        organization_id -> Text,
        visitor_id -> Text,
        user_id -> Text,
        read_at -> Timestamp,
    }
}

diesel::table! {
    /// Mass campaigns.
    campaigns (id) {
        id -> Text,
        organization_id -> Text,
        title -> Text,
        section -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        member_count -> BigInt,
    }
}

diesel::table! {
    /// Which campaign an appeal belongs to.
    campaign_members (appeal_id) {
        appeal_id -> Text,
        organization_id -> Text,
        campaign_id -> Text,
        registered_at -> Timestamp,
        joined_at -> Timestamp,
    }
}

diesel::table! {
    /// A letter's MinHash signature.
    campaign_signatures (appeal_id) {
        appeal_id -> Text,
        organization_id -> Text,
        signature -> Text,
        left_out -> Bool,
    }
}

diesel::table! {
    /// LSH bucket keys of letters, by section and registration day.
    campaign_buckets (organization_id, section, band, bucket, registered_on, appeal_id) {
        organization_id -> Text,
        section -> Text,
        band -> Integer,
        bucket -> BigInt,
        registered_on -> Date,
        appeal_id -> Text,
    }
}

diesel::allow_tables_to_appear_in_same_query!(campaign_members, campaign_signatures);
diesel::allow_tables_to_appear_in_same_query!(campaign_members, appeals);
diesel::allow_tables_to_appear_in_same_query!(campaign_members, applicants);
