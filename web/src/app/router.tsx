import { lazy, Suspense } from "react";
import { BrowserRouter, Navigate, Route, Routes } from "react-router";
import { useCurrentUser } from "../features/auth/api";
import { SignInPage } from "../features/auth/pages/sign-in.page";
import { PageLoader } from "../shared/components/page-loader.component";
import { RequireAuth } from "./auth-guard.component";
import { AppLayout } from "./layout/app-layout.component";
import { homePathFor } from "./nav";

const loadTicketList = () => import("../features/tickets/pages/ticket-list.page");
const loadBoard = () => import("../features/board/pages/board.page");

// The page a deep link opens is fetched at once, alongside the profile request, instead of
// after it (one step less in the first-render waterfall).
const firstPath = window.location.pathname;
if (/^\/(my|assigned|queues|tickets|archive)\/?$/.test(firstPath)) void loadTicketList();
if (/^\/board\/?$/.test(firstPath)) void loadBoard();

const RegisterPage = lazy(() => import("../features/auth/pages/register.page"));
const ProfilePage = lazy(() => import("../features/auth/pages/profile.page"));
const TicketListPage = lazy(loadTicketList);
const NewTicketPage = lazy(() => import("../features/tickets/pages/new-ticket.page"));
const TicketPage = lazy(() => import("../features/tickets/pages/ticket.page"));
const BoardPage = lazy(loadBoard);
const InboxPage = lazy(() => import("../features/inbox/pages/inbox.page"));
const AdminPage = lazy(() => import("../features/admin/pages/admin.page"));
const NotFoundPage = lazy(() => import("../shared/components/not-found.page"));

function HomeRedirect() {
  const user = useCurrentUser();
  return <Navigate to={homePathFor(user.role)} replace />;
}

export function AppRouter() {
  return (
    <BrowserRouter>
      <Suspense fallback={<PageLoader />}>
        <Routes>
          <Route path="/sign-in" element={<SignInPage />} />
          <Route path="/register" element={<RegisterPage />} />
          <Route element={<RequireAuth />}>
            <Route element={<AppLayout />}>
              <Route index element={<HomeRedirect />} />
              <Route path="my" element={<TicketListPage scope="mine" />} />
              <Route path="assigned" element={<TicketListPage scope="assigned" />} />
              <Route path="queues" element={<TicketListPage scope="queues" />} />
              <Route path="tickets" element={<TicketListPage scope="all" />} />
              <Route path="archive" element={<TicketListPage scope="archive" />} />
              <Route path="new" element={<NewTicketPage />} />
              <Route path="tickets/:ticketId" element={<TicketPage />} />
              <Route path="board" element={<BoardPage />} />
              <Route path="inbox/:chatId?" element={<InboxPage />} />
              <Route path="admin/*" element={<AdminPage />} />
              <Route path="profile" element={<ProfilePage />} />
              <Route path="*" element={<NotFoundPage />} />
            </Route>
          </Route>
        </Routes>
      </Suspense>
    </BrowserRouter>
  );
}
