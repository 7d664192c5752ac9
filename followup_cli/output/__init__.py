"""Everything followup hands to the outside world passes through here: tables for the
terminal (`tables`, and the call sheet drawn with it in `sheet`), JSON and CSV
(`formats`), printed pages and workbooks (`printing`, `report_files`), the one writer of
files (`files`) and the one terminal sanitiser (`terminal`)."""
