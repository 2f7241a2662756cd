import { Autocomplete, type ComboboxItem } from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { IconSearch } from "@tabler/icons-react";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTranslation } from "react-i18next";
import { useLocation, useNavigate, useSearchParams } from "react-router";
import { fetchTickets } from "../tickets/api";

/** Full-text search with results as you type; Enter opens the ticket list filtered by `q`. */
export function HeaderSearch() {
  const { t } = useTranslation();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const [value, setValue] = useState(params.get("q") ?? "");
  const [debounced] = useDebouncedValue(value.trim(), 300);

  useEffect(() => {
    if (location.pathname === "/tickets") {
      setValue(params.get("q") ?? "");
    }
  }, [location.pathname, params]);

  const results = useQuery({
    queryKey: ["tickets", { q: debounced, limit: 7, include_archived: true, purpose: "search" }],
    queryFn: ({ signal }) =>
      fetchTickets({ q: debounced, limit: 7, include_archived: true }, undefined, signal),
    enabled: debounced.length >= 2,
    staleTime: 15_000,
  });

  const options: ComboboxItem[] =
    debounced.length >= 2
      ? (results.data?.results ?? []).map((ticket) => ({
          value: String(ticket.id),
          label: `#${ticket.id} ${ticket.title}`,
        }))
      : [];

  const openList = () => {
    const q = value.trim();
    navigate(q ? `/tickets?q=${encodeURIComponent(q)}` : "/tickets");
  };

  return (
    <Autocomplete
      role="search"
      aria-label={t("search.label")}
      placeholder={t("search.placeholder")}
      leftSection={<IconSearch size={16} />}
      value={value}
      onChange={setValue}
      data={options}
      filter={({ options: all }) => all}
      limit={7}
      maxDropdownHeight={320}
      comboboxProps={{ withinPortal: true }}
      onOptionSubmit={(id) => {
        setValue("");
        navigate(`/tickets/${id}`);
      }}
      onKeyDown={(event) => {
        if (event.key === "Enter" && !event.defaultPrevented) {
          openList();
        }
      }}
      w="100%"
      maw={420}
    />
  );
}
