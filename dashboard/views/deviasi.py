"""Deviasi (conformance): fitness per agency, deviation kinds, variants against the SOP path,
the deviating cases, and CSV/Excel exports for auditors (with run id, as-of and model checksum).
Every figure follows one choice of cases (closed, open judged so far, or all), so the headline
count of deviating cases is the total of the list under it."""

import streamlit as st

from dashboard import accepting, auth, charts, fmt, tables, ui
from dashboard.downloads import export_downloads
from dashboard.filters import Filters
from pantau.access.roles import EVIDENCE

L = ui.lang()
ui.page_header("page_deviations", "deviations_intro")
state = ui.require_results()
F = ui.filters()
accepting.done_note(L)

with ui.guard():
    cat = ui.catalog()
    scope = st.segmented_control(ui.tr("case_scope"), ("closed", "open", "all"), default="closed", key="dev_scope",
                                 format_func=lambda s: ui.tr(f"scope_choice_{s}")) or "closed"
    words = ui.tr(f"scope_{scope}")
    fit = ui.load("fitness_by_agency", scope=scope)
    if ui.empty(fit):
        st.stop()
    total = ui.load("fitness_totals", scope=scope).iloc[0]
    cases_in_scope = int(total["cases"])
    cols = st.columns(4)
    cols[0].metric(ui.tr("fitness"), fmt.number(total["fitness"], 3, L), help=ui.tr("fitness_help"))
    cols[0].caption(fmt.number(cases_in_scope, 0, L) + " " + words)
    cols[1].metric(ui.tr("share_conformant"), fmt.percent(total["conformant_share"], 1, L))
    cols[1].caption(f"{fmt.count_of(total['conformant'], cases_in_scope, L)} {words}")
    cols[2].metric(ui.tr("deviations"), fmt.number(int(total["deviations"]), 0, L),
                   help=ui.tr("deviations_closed_help") if scope == "closed" else None)
    cols[2].caption(words if not total["accepted"] else
                    words + " · " + ui.tr("deviations_accepted_note", n=fmt.number(int(total["accepted"]), 0, L)))
    cols[3].metric(ui.tr("deviating_cases"), fmt.number(int(total["deviating"]), 0, L))
    cols[3].caption(f"{fmt.count_of(total['deviating'], cases_in_scope, L)} {words}")
    st.subheader(ui.tr("fitness_per_agency"))
    st.plotly_chart(charts.paired_shares(fit, ("fitness", "conformant_share"),
                                         (ui.tr("fitness"), ui.tr("share_conformant")), cat, L,
                                         percent=(False, True), counts=(None, ("conformant", "cases"))))
    st.dataframe(tables.fitness(fit, cat, L), hide_index=True)

    kinds = ui.load("deviation_kinds", scope=scope)
    st.subheader(ui.tr("deviation_kinds"))
    if not ui.empty(kinds, "no_deviations"):
        st.plotly_chart(charts.deviation_kinds(kinds, cat, L))

    st.subheader(ui.tr("variants_vs_sop"))
    sop = ui.sop_scope("dev_sop")
    if sop:
        variants = ui.load("variants_for_sop", F.with_sop(sop), scope=scope)
        if not ui.empty(variants):
            st.caption(ui.tr("variants_caption", shown=len(variants),
                             total=fmt.number(int(variants["variants"].iloc[0]), 0, L)))
            labels = tables.variant_labels(variants, L)
            st.plotly_chart(charts.variants(variants, labels, L))
            st.dataframe(tables.variants(variants, sop, cat, L), hide_index=True)
            if variants["is_open"].any():
                st.caption(ui.tr("variant_open_note"))

    st.subheader(ui.tr("deviating_cases"))
    all_kinds = [k for k in cat.keys("deviation_kinds") if k in set(kinds["kind"])] if len(kinds) else []
    chosen = st.multiselect(ui.tr("deviation_kinds"), all_kinds, key="dev_kinds",
                            format_func=lambda k: cat.label("deviation_kinds", k, L), placeholder=ui.tr("all"))
    chosen_kinds = tuple(sorted(chosen))
    cases = ui.load("deviating_cases", kinds=chosen_kinds, scope=scope)
    if not ui.empty(cases, "no_deviations"):
        st.caption(ui.tr("deviating_cases_scope", scope=words) + " "
                   + ui.tr("showing_of", shown=fmt.number(len(cases), 0, L),
                           total=fmt.number(int(cases["total"].iloc[0]), 0, L)) + " " + ui.tr("pick_row"))
        ui.case_picker(cases, tables.deviating(cases, cat, L), key="dev_cases")
        st.caption(ui.tr("export_note", run=state.run_id))
        export_downloads("deviations", F, state, labels=(ui.tr("download_csv"), ui.tr("download_xlsx")),
                         params={"kinds": chosen_kinds, "scope": scope})

    accepted = ui.load("acceptances_in_scope")
    if len(accepted):
        st.subheader(ui.tr("acceptances_title"))
        st.dataframe(tables.acceptances(accepted, cat, L), hide_index=True)
    agencies = sorted(fit.loc[fit["sop_id"] == sop, "agency"].dropna().unique()) if sop else []
    accepting.rule_form(state, F, sop, all_kinds, agencies, cat, L)
    if auth.may(EVIDENCE):
        st.subheader(ui.tr("evidence_title"))
        options = ui.load("filter_options", Filters())
        span = options[(options["sop_id"] == sop) & (options["agency"] == F.agency)] if sop and F.agency else options[:0]
        bounds = (span["first_day"].min().date(), span["last_day"].max().date()) if len(span) else None
        accepting.period_evidence(state, F, sop, bounds, L)
